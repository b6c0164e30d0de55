import { bodyLimit } from "hono/body-limit";
import { AppError } from "../core/errors";
import { docsPage } from "./docs";
import { auth } from "./middleware/auth";
import { corsForAllowedOrigins } from "./middleware/cors";
import { requireJsonBody } from "./middleware/json-content-type";
import { allowedMethods } from "./method-not-allowed";
import { errorResponse, onError } from "./middleware/errors";
import { jsonDepthLimit } from "./middleware/json-depth";
import { tenantQuotas } from "./middleware/quotas";
import { requestContext } from "./middleware/request-id";
import { router } from "./openapi";
import { openApiDocument, registerSecurity } from "./openapi-document";
import { eventsApi } from "./events";
import { forkApi } from "./fork";
import { maintenanceApi } from "./maintenance";
import { controlsApi } from "./controls";
import { oneShotApi } from "./one-shot";
import { providersApi } from "./providers";
import { queryApi } from "./query";
import { runsApi } from "./runs";
import { schedulesApi } from "./schedules";
import { sessionsApi } from "./sessions";
import { sessionQueriesApi } from "./session-queries";
import { IMPORT_PATH, sessionExportApi } from "./session-export";
import { streamTokensApi } from "./stream-tokens";
import { webhooksApi } from "./webhooks";
import { workspaceApi } from "./workspace";

/** The Worker's HTTP surface: `/v1` (authenticated), `/openapi.json`, `/docs`, `/healthz`. */
export function createApp() {
  const app = router();
  app.use("*", requestContext);
  // Preflights carry no credentials: answered before auth.
  app.use("/v1/*", corsForAllowedOrigins);
  app.use("/v1/*", auth);
  app.use("/v1/*", (c, next) =>
    bodyLimit({
      maxSize: c.get("config").maxBodyBytes,
      onError: (cx) =>
        errorResponse(cx, new AppError("payload_too_large", `The request body exceeds ${c.get("config").maxBodyBytes} bytes`)),
    })(c, next),
  );
  app.use("/v1/*", requireJsonBody([IMPORT_PATH]));
  app.use("/v1/*", jsonDepthLimit);
  app.use("/v1/*", tenantQuotas);
  app.route("/v1", sessionsApi);
  // Before eventsApi: …/events/count must not read as an event route.
  app.route("/v1", sessionQueriesApi);
  app.route("/v1", sessionExportApi);
  app.route("/v1", forkApi);
  app.route("/v1", eventsApi);
  app.route("/v1", streamTokensApi);
  app.route("/v1", runsApi);
  app.route("/v1", controlsApi);
  app.route("/v1", schedulesApi);
  app.route("/v1", oneShotApi);
  app.route("/v1", queryApi);
  app.route("/v1", workspaceApi);
  app.route("/v1", webhooksApi);
  app.route("/v1", maintenanceApi);
  app.route("/v1", providersApi);
  registerSecurity(app);
  app.get("/openapi.json", (c) => c.json(openApiDocument(app)));
  app.get("/docs", docsPage);
  app.get("/healthz", (c) => c.json({ ok: true }));
  const allowed = allowedMethods(app);
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const methods = allowed(path);
    if (!methods) return errorResponse(c, new AppError("not_found", `No route for ${c.req.method} ${path}`));
    c.header("allow", methods.join(", "));
    return errorResponse(c, new AppError("method_not_allowed", `${c.req.method} is not allowed on ${path}`, { allow: methods }));
  });
  app.onError(onError);
  return app;
}

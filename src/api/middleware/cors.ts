import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { corsAllowedOrigins } from "../../core/config";
import type { AppEnv } from "../types";

/** What a browser may send and read across origins: the API's own request and response headers. */
const ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "if-match", "if-none-match", "last-event-id", "x-request-id"];
const EXPOSE_HEADERS = ["location", "etag", "retry-after", "www-authenticate", "x-request-id"];

/**
 * CORS for the origins in CORS_ALLOWED_ORIGINS (comma-separated; none by default, so a deployment is closed until
 * it names its dashboards). Mounted before auth: a preflight carries no credentials and is answered here (204);
 * an origin not on the list gets no Access-Control-Allow-Origin, which the browser enforces.
 */
export const corsForAllowedOrigins: MiddlewareHandler<AppEnv> = (c, next) =>
  cors({
    origin: (origin) => (corsAllowedOrigins(c.env).includes(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PATCH", "DELETE"],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  })(c, next);

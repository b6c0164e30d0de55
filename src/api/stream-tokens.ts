import { createRoute } from "@hono/zod-openapi";
import { AppError } from "../core/errors";
import { mintStreamToken, StreamTokenSchema, streamTokenSecret } from "../core/stream-token";
import { errorResponses, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

export const streamTokensApi = router();

streamTokensApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/stream-token",
    tags: ["events"],
    operationId: "createStreamToken",
    summary: "Mint a short-lived token that opens this session's SSE stream or WebSocket from a browser",
    description:
      "EventSource and browser WebSockets cannot send headers, and API keys are never accepted in URLs. " +
      "A stream token is signed, scoped to this session and tenant, and expires after STREAM_TOKEN_TTL_MS (default 10 minutes); " +
      "an EventSource that reconnects with it resumes by Last-Event-ID while it is valid.",
    request: { params: SessionIdParams },
    responses: { 200: jsonResponse(StreamTokenSchema, "The token"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const session = await call(sessionStub(c, id).getSession(false));
    const secret = await streamTokenSecret(c.env);
    if (!secret) throw new AppError("dependency_not_available", "Stream tokens need STREAM_TOKEN_SECRET (or API_KEYS) to be configured");
    const expiresAt = Date.now() + c.get("config").streamTokenTtlMs;
    const token = await mintStreamToken(secret, { tenantId: c.get("tenantId"), sessionId: session.id, expiresAt });
    c.header("cache-control", "no-store");
    return c.json({ token, session_id: session.id, expires_at: new Date(expiresAt).toISOString() }, 200);
  },
);

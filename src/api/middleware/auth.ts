import type { Context, MiddlewareHandler, Next } from "hono";
import { AppError } from "../../core/errors";
import { parseApiKeys } from "../../core/config";
import { constantTimeEqual } from "../../core/constant-time";
import { streamTokenSecret, verifyStreamToken } from "../../core/stream-token";
import type { AppEnv } from "../types";
import { errorResponse } from "./errors";

let cachedRaw: string | undefined;
let cachedKeys = new Map<string, string>();

export function tenantForKey(raw: string | undefined, key: string): string | null {
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    cachedKeys = parseApiKeys(raw);
  }
  // Every key is compared (no early exit), so the time does not tell how far down the list a key is.
  let tenant: string | null = null;
  for (const [k, t] of cachedKeys) if (constantTimeEqual(key, k)) tenant = t;
  return tenant;
}

/** Where a stream token may stand in for the key: following one session's events over SSE or its WebSocket. */
const STREAM_PATH = /^\/v1\/sessions\/([^/]+)\/(events|ws)$/;

/** The session a stream token may open from this request, or null when the request is not a stream. */
function streamSessionOf(c: Context<AppEnv>): string | null {
  if (c.req.method !== "GET") return null;
  const m = STREAM_PATH.exec(new URL(c.req.url).pathname);
  if (!m) return null;
  const isStream =
    m[2] === "ws" ? c.req.header("upgrade")?.toLowerCase() === "websocket" : (c.req.header("accept") ?? "").includes("text/event-stream");
  return isStream ? decodeURIComponent(m[1]!) : null;
}

/**
 * Bearer API keys map to tenants. Keys never travel in URLs (they end up in logs and histories): `?api_key=` is
 * refused outright. Browsers, which cannot set headers on EventSource or WebSocket, use `?token=`: a short-lived
 * token for one session (POST /v1/sessions/:id/stream-token), accepted only on that session's SSE and WebSocket.
 */
export const auth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.query("api_key") !== undefined) {
    return errorResponse(
      c,
      new AppError(
        "unauthorized",
        "API keys are not accepted in URLs; send Authorization: Bearer <key>, or for SSE and WebSocket a stream token as ?token= (POST /v1/sessions/{id}/stream-token)",
        {
          hint: "POST /v1/sessions/{id}/stream-token",
        },
      ),
    );
  }
  const key = c.req
    .header("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  const token = c.req.query("token");
  if (!key && token !== undefined) return authenticateStreamToken(c, token, next);
  if (!key) return errorResponse(c, new AppError("unauthorized", "Missing bearer API key"));
  const tenant = tenantForKey(c.env.API_KEYS, key);
  if (!tenant) return errorResponse(c, new AppError("unauthorized", "Invalid API key"));
  c.set("tenantId", tenant);
  await next();
};

async function authenticateStreamToken(c: Context<AppEnv>, token: string, next: Next): Promise<Response | void> {
  const sessionId = streamSessionOf(c);
  if (!sessionId)
    return errorResponse(
      c,
      new AppError("unauthorized", "A stream token opens only its session's SSE stream or WebSocket; use Authorization: Bearer here"),
    );
  const secret = await streamTokenSecret(c.env);
  const claims = secret ? await verifyStreamToken(secret, token) : null;
  if (!claims)
    return errorResponse(
      c,
      new AppError("unauthorized", "Invalid or expired stream token; mint a new one with POST /v1/sessions/{id}/stream-token"),
    );
  // Another session's token is as good as none: the same answer, so it tells nothing about that session.
  if (claims.sessionId !== sessionId)
    return errorResponse(
      c,
      new AppError("unauthorized", "Invalid or expired stream token; mint a new one with POST /v1/sessions/{id}/stream-token"),
    );
  c.set("tenantId", claims.tenantId);
  await next();
}

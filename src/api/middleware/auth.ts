import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors";
import { parseApiKeys } from "../../core/config";
import type { AppEnv } from "../types";
import { errorResponse } from "./errors";

let cachedRaw: string | undefined;
let cachedKeys = new Map<string, string>();

/** Constant-time string comparison, so key checks do not leak how much of a key matched. */
function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

export function tenantForKey(raw: string | undefined, key: string): string | null {
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    cachedKeys = parseApiKeys(raw);
  }
  let tenant: string | null = null;
  for (const [k, t] of cachedKeys) if (safeEqual(k, key)) tenant = t;
  return tenant;
}

/**
 * Bearer API keys map to tenants. Browsers cannot set headers on a WebSocket, so `?api_key=` is accepted
 * on upgrade requests only.
 */
export const auth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  let key = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  if (!key && c.req.header("upgrade")?.toLowerCase() === "websocket") key = c.req.query("api_key") ?? undefined;
  if (!key) return errorResponse(c, new AppError("unauthorized", "Missing bearer API key"));
  const tenant = tenantForKey(c.env.API_KEYS, key);
  if (!tenant) return errorResponse(c, new AppError("unauthorized", "Invalid API key"));
  c.set("tenantId", tenant);
  await next();
};

import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors";
import { quotaHeaders, quotaHeadersOf, quotasFor, type QuotaDetails } from "../../core/quotas";
import type { Env } from "../../env";
import { tenantLedger } from "../../tenants/client";
import type { AppEnv } from "../types";
import { errorResponse } from "./errors";

/**
 * Tenant quotas at the edge. Client appends (`POST /v1/sessions/:id/events`) spend the tenant's appended-events
 * rate before they reach the session; every quota refusal, wherever it was decided (here, a session DO, the tenant
 * ledger), leaves with `Retry-After`, `RateLimit-Policy` and `RateLimit` headers.
 *
 * Why a token bucket in the TenantDO rather than the Workers Rate Limiting binding: the binding's limit is fixed in
 * wrangler.toml per binding (no per-tenant override), counts calls rather than events, allows only 10 s or 60 s
 * windows, is approximate per location and says nothing about what is left; the ledger gives exact per-tenant
 * limits and the numbers the RateLimit headers need. Its cost, one round trip to the tenant's DO, is mostly saved by
 * a lease: each ask takes up to a tenth of a second's worth more, which this isolate spends within a second before
 * asking again (what it does not spend is lost, so the tenant can only ever get less than its rate, never more).
 */

const APPEND_PATH = /^\/v1\/sessions\/[^/]+\/events\/?$/;
const LEASE_MS = 1_000;
const LEASE_SHARE = 0.1;

type Lease = { tokens: number; expires: number; remaining: number };
const leases = new Map<string, Lease>();

export const tenantQuotas: MiddlewareHandler<AppEnv> = async (c, next) => {
  let spent: QuotaDetails | null = null;
  if (c.req.method === "POST" && APPEND_PATH.test(c.req.path)) {
    const n = await eventCount(c);
    if (n > 0) {
      try {
        spent = await spendEvents(c.env, c.get("tenantId"), n);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return withHeaders(errorResponse(c, err), quotaHeadersOf(err));
      }
    }
  }
  await next();
  const headers = c.error ? quotaHeadersOf(c.error) : spent && c.res.ok ? quotaHeaders(spent) : null;
  if (headers) c.res = withHeaders(c.res, headers);
};

/** How many events the body appends; 0 when it is not an append body (the route's validator then answers). */
async function eventCount(c: Context<AppEnv>): Promise<number> {
  if (!/json/i.test(c.req.header("content-type") ?? "")) return 0;
  // Parsed once: the route's validator reuses this parse.
  const body: unknown = await c.req.json().catch(() => null);
  const events = body && typeof body === "object" ? (body as { events?: unknown }).events : undefined;
  return Array.isArray(events) ? events.length : 0;
}

/** Spends `n` of the tenant's events: from this isolate's lease when it has enough, else from the ledger. */
async function spendEvents(env: Env, tenantId: string, n: number): Promise<QuotaDetails> {
  const limit = quotasFor(env as unknown as Record<string, unknown>, tenantId).events_per_second;
  const now = Date.now();
  let lease = leases.get(tenantId);
  if (lease && lease.expires <= now) lease = undefined;
  if (!lease || lease.tokens < n) {
    const held = lease?.tokens ?? 0;
    const grant = await tenantLedger(env, tenantId).takeEvents(n - held, Math.ceil(limit * LEASE_SHARE));
    lease = { tokens: held + grant.granted, expires: now + LEASE_MS, remaining: grant.remaining };
    leases.set(tenantId, lease);
  }
  lease.tokens -= n;
  return {
    quota: "events_per_second", limit, current: n, remaining: lease.remaining + lease.tokens, retry_after_ms: 0, scope: "tenant", window_seconds: 1,
  };
}

function withHeaders(res: Response, headers: Record<string, string> | null): Response {
  if (!headers) return res;
  // A response from a stub's fetch has immutable headers: copy it.
  const copy = new Response(res.body, res);
  for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
  return copy;
}

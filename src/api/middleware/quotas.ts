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
/** However high a tenant's rate, one isolate never holds more than this many events unspent. */
const LEASE_MAX_EVENTS = 10_000;

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
  const details = (remaining: number): QuotaDetails => ({
    quota: "events_per_second", limit, current: n, remaining, retry_after_ms: 0, scope: "tenant", window_seconds: 1,
  });
  const now = Date.now();
  const lease = leases.get(tenantId);
  if (lease && lease.expires > now && lease.tokens >= n) {
    lease.tokens -= n;
    return details(lease.remaining + lease.tokens);
  }
  // Whatever the lease still holds goes towards this request; it is taken out before the round trip, so requests
  // running at the same time cannot count the same tokens twice.
  const held = lease && lease.expires > now ? lease.tokens : 0;
  if (lease) lease.tokens = 0;
  let grant;
  try {
    grant = await tenantLedger(env, tenantId).takeEvents(n - held, Math.min(Math.ceil(limit * LEASE_SHARE), LEASE_MAX_EVENTS));
  } catch (err) {
    if (held > 0) leases.set(tenantId, { tokens: (leases.get(tenantId)?.tokens ?? 0) + held, expires: lease!.expires, remaining: lease!.remaining });
    throw err;
  }
  // The extra tokens join whatever other requests left in the lease meanwhile.
  const spare = grant.granted - (n - held);
  const current = leases.get(tenantId);
  const tokens = (current && current.expires > Date.now() ? current.tokens : 0) + spare;
  leases.set(tenantId, { tokens, expires: Date.now() + LEASE_MS, remaining: grant.remaining });
  return details(grant.remaining + tokens);
}

function withHeaders(res: Response, headers: Record<string, string> | null): Response {
  if (!headers) return res;
  // A response from a stub's fetch has immutable headers: copy it.
  const copy = new Response(res.body, res);
  for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
  return copy;
}

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
 * a lease: each ask takes up to a tenth of a second's worth more, which this isolate spends within ten seconds
 * before asking again. When a lease runs below half of that, the next share is asked for in the background, so a
 * steady stream of appends does not wait for the tenant's DO once every share. Leased tokens come out of the bucket,
 * so they never add to the rate (what is not spent is lost); at most they let one short burst of a tenth of a
 * second's worth arrive a little later than it was counted.
 */

const APPEND_PATH = /^\/v1\/sessions\/[^/]+\/events\/?$/;
const LEASE_MS = 10_000;
const LEASE_SHARE = 0.1;
/** However high a tenant's rate, one isolate never holds more than this many events unspent. */
const LEASE_MAX_EVENTS = 10_000;

type Lease = { tokens: number; expires: number; remaining: number };
const leases = new Map<string, Lease>();
const refills = new Map<string, Promise<void>>();

export const tenantQuotas: MiddlewareHandler<AppEnv> = async (c, next) => {
  let spent: QuotaDetails | null = null;
  if (c.req.method === "POST" && APPEND_PATH.test(c.req.path)) {
    const n = await eventCount(c);
    if (n > 0) {
      try {
        spent = await spendEvents(c.env, c.get("tenantId"), n, (p) => c.executionCtx.waitUntil(p));
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

/**
 * Spends `n` of the tenant's events: from this isolate's lease when it holds enough, else from the ledger, one
 * refill per tenant at a time (requests that arrive meanwhile wait for it and spend what it brought, rather than
 * each taking a lease of its own and draining the bucket between them).
 */
async function spendEvents(env: Env, tenantId: string, n: number, waitUntil: (p: Promise<unknown>) => void): Promise<QuotaDetails> {
  const limit = quotasFor(env as unknown as Record<string, unknown>, tenantId).events_per_second;
  const share = Math.min(Math.ceil(limit * LEASE_SHARE), LEASE_MAX_EVENTS);
  const details = (remaining: number): QuotaDetails => ({
    quota: "events_per_second",
    limit,
    current: n,
    remaining,
    retry_after_ms: 0,
    scope: "tenant",
    window_seconds: 1,
  });
  for (;;) {
    const lease = leases.get(tenantId);
    const live = lease && lease.expires > Date.now() ? lease : null;
    if (live && live.tokens >= n) {
      live.tokens -= n;
      if (live.tokens < share / 2 && !refills.has(tenantId)) waitUntil(topUp(env, tenantId, share));
      return details(live.remaining + live.tokens);
    }
    const pending = refills.get(tenantId);
    if (pending) {
      await pending;
      continue;
    }
    // What the lease still holds goes towards this request.
    const held = live?.tokens ?? 0;
    const refill = tenantLedger(env, tenantId).takeEvents(n - held, share);
    refills.set(
      tenantId,
      refill.then(
        () => undefined,
        () => undefined,
      ),
    );
    try {
      const grant = await refill;
      const tokens = held + grant.granted - n;
      leases.set(tenantId, { tokens, expires: Date.now() + LEASE_MS, remaining: grant.remaining });
      return details(grant.remaining + tokens);
    } finally {
      refills.delete(tenantId);
    }
  }
}

/**
 * Adds up to `share` events to this isolate's lease without anyone waiting for it. Whatever the ledger answers
 * (little or nothing when the bucket is low, an error when the ledger is unreachable), a request that finds the
 * lease short still asks the ledger itself and gets its refusal there.
 */
async function topUp(env: Env, tenantId: string, share: number): Promise<void> {
  const ask = tenantLedger(env, tenantId).takeEvents(0, share);
  const done = ask.then(
    () => undefined,
    () => undefined,
  );
  refills.set(tenantId, done);
  try {
    const grant = await ask;
    const lease = leases.get(tenantId);
    const held = lease && lease.expires > Date.now() ? lease.tokens : 0;
    leases.set(tenantId, { tokens: held + grant.granted, expires: Date.now() + LEASE_MS, remaining: grant.remaining });
  } catch {
    /* the next request that runs short asks the ledger and answers with what it says */
  } finally {
    if (refills.get(tenantId) === done) refills.delete(tenantId);
  }
}

function withHeaders(res: Response, headers: Record<string, string> | null): Response {
  if (!headers) return res;
  // A response from a stub's fetch has immutable headers: copy it.
  const copy = new Response(res.body, res);
  for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
  return copy;
}

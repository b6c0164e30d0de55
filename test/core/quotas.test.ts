import { describe, expect, it } from "vitest";
import { AppError } from "../../src/core/errors";
import { quotaError, quotaHeaders, quotaHeadersOf, quotasFor } from "../../src/core/quotas";
import { take } from "../../src/core/token-bucket";
import { tenantLedger } from "../../src/tenants/client";

describe("tenant quotas: resolution", () => {
  it("defaults come from config (each overridable by its variable); TENANT_QUOTAS overrides per tenant over `*`", () => {
    expect(quotasFor({}, "t1")).toEqual({
      active_sessions: 1_000,
      concurrent_runs: 50,
      queued_runs: 1_000,
      events_per_second: 1_000,
      ws_subscribers_per_session: 1_000,
    });
    const vars = {
      TENANT_CONCURRENT_RUNS: "20",
      TENANT_QUOTAS: JSON.stringify({ "*": { queued_runs: 10 }, t1: { queued_runs: 3, events_per_second: 0 } }),
    };
    expect(quotasFor(vars, "t1")).toMatchObject({ concurrent_runs: 20, queued_runs: 3, events_per_second: 0 });
    expect(quotasFor(vars, "t2")).toMatchObject({ concurrent_runs: 20, queued_runs: 10, events_per_second: 1_000 });
  });

  it("fails closed: a malformed TENANT_QUOTAS refuses every check with a message that says what is wrong", () => {
    for (const [raw, reason] of [
      ["{not json", /not JSON/],
      ['{"t":{"queued_runs":-1}}', /t\.queued_runs/],
      ['{"t":{"runs":1}}', /t: .*runs|Unrecognized/],
    ] as const) {
      let thrown: unknown;
      try {
        quotasFor({ TENANT_QUOTAS: raw }, "t");
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).message).toMatch(/Tenant quotas cannot be checked: TENANT_QUOTAS is invalid/);
      expect((thrown as AppError).message).toMatch(reason);
    }
  });

  it("fails closed: with no TENANTS binding the ledger refuses with dependency_not_available", async () => {
    await expect(tenantLedger({}, "t").admitSession("ses_x")).rejects.toMatchObject({
      code: "dependency_not_available",
      message: expect.stringMatching(/TENANTS .*binding is missing/),
    });
  });
});

describe("tenant quotas: the 429 and its headers", () => {
  it("counts are quota_exceeded, the rate rate_limited; both 429, retryable, details.quota naming the quota", () => {
    const count = quotaError({ quota: "active_sessions", limit: 2, current: 2, remaining: 0, retry_after_ms: 10_000, scope: "tenant" });
    expect(count.code).toBe("quota_exceeded");
    expect(count.status).toBe(429);
    expect(count.retryable).toBe(true);
    expect(count.toBody().error.details).toMatchObject({ quota: "active_sessions", limit: 2 });
    const rate = quotaError({
      quota: "events_per_second",
      limit: 10,
      current: 3,
      remaining: 0,
      retry_after_ms: 250,
      scope: "tenant",
      window_seconds: 1,
    });
    expect(rate.code).toBe("rate_limited");
    expect(rate.status).toBe(429);
  });

  it("RateLimit-Policy and RateLimit follow draft-ietf-httpapi-ratelimit-headers; Retry-After only when refused", () => {
    expect(
      quotaHeaders({
        quota: "events_per_second",
        limit: 10,
        current: 3,
        remaining: 0,
        retry_after_ms: 250,
        scope: "tenant",
        window_seconds: 1,
      }),
    ).toEqual({
      "RateLimit-Policy": '"events_per_second";q=10;w=1',
      RateLimit: '"events_per_second";r=0;t=1',
      "Retry-After": "1",
    });
    expect(quotaHeaders({ quota: "queued_runs", limit: 5, current: 5, remaining: 0, retry_after_ms: 2_000, scope: "tenant" })).toEqual({
      "RateLimit-Policy": '"queued_runs";q=5',
      RateLimit: '"queued_runs";r=0;t=2',
      "Retry-After": "2",
    });
    expect(
      quotaHeaders({
        quota: "events_per_second",
        limit: 10,
        current: 3,
        remaining: 6.7,
        retry_after_ms: 0,
        scope: "tenant",
        window_seconds: 1,
      }),
    ).toEqual({
      "RateLimit-Policy": '"events_per_second";q=10;w=1',
      RateLimit: '"events_per_second";r=6',
    });
    expect(quotaHeadersOf(new AppError("max_runs_exceeded", "full"))).toBeNull();
  });
});

describe("token bucket", () => {
  it("admits up to the capacity, refuses with the wait until enough has refilled, and refills at the rate", () => {
    const first = take(null, 10, 0, 10, 10, 0);
    expect(first).toMatchObject({ ok: true, granted: 10 });
    const refused = take(first.bucket, 1, 0, 10, 10, 0);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 100 });
    expect(take(refused.bucket, 1, 0, 10, 10, 100)).toMatchObject({ ok: true, granted: 1 });
  });

  it("a batch larger than the bucket is admitted when it is full and borrows, so the long-run rate still holds", () => {
    const big = take(null, 25, 0, 10, 10, 0);
    expect(big).toMatchObject({ ok: true, granted: 25, bucket: { tokens: -15 } });
    expect(take(big.bucket, 1, 0, 10, 10, 1_000)).toMatchObject({ ok: false, retryAfterMs: 600 });
    expect(take(big.bucket, 1, 0, 10, 10, 2_100)).toMatchObject({ ok: true });
  });

  it("grants extra tokens (a lease) only from what is left over, never below zero; a zero rate admits nothing", () => {
    expect(take(null, 4, 3, 10, 10, 0)).toMatchObject({ ok: true, granted: 7, bucket: { tokens: 3 } });
    expect(take(null, 9, 3, 10, 10, 0)).toMatchObject({ ok: true, granted: 10, bucket: { tokens: 0 } });
    expect(take(null, 1, 0, 0, 0, 0)).toMatchObject({ ok: false, retryAfterMs: 60_000 });
  });
});

import { describe, expect, it } from "vitest";
import { tenantQuotas } from "../../../src/api/middleware/quotas";
import { AppError } from "../../../src/core/errors";
import { appWith, errorOf } from "./harness";

/** The quota middleware after a stand-in for auth that names the tenant. */
const appFor = (tenant: string, handler?: Parameters<typeof appWith>[1]) =>
  appWith(
    [
      async (c, next) => {
        c.set("tenantId", tenant);
        await next();
      },
      tenantQuotas,
    ],
    handler,
  );
// The middleware only counts the events; the route behind it (a stand-in here) would validate them.
const append = (n: number) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ events: Array.from({ length: n }, () => ({})) }),
});

describe("quotas middleware", () => {
  it("spends an append's events and says what is left", async () => {
    const res = await appFor("tenant_mw_quota").request("/v1/sessions/s1/events", append(3));
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toContain("1000");
    expect(res.headers.get("ratelimit")).toMatch(/^"events_per_second";r=\d+/);
  });

  it("refuses an append the tenant's bucket cannot cover with 429, Retry-After and RateLimit", async () => {
    // A batch above the rate (1,000/s by default) is admitted only into a full bucket and leaves it in debt:
    // 100,000 events leave about 99 s of debt, so the next append is refused however slow this machine is.
    const app = appFor("tenant_mw_burst");
    expect((await app.request("/v1/sessions/s1/events", append(100_000))).status).toBe(200);
    const res = await app.request("/v1/sessions/s1/events", append(1));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("ratelimit-policy")).toContain('"events_per_second"');
    expect(await errorOf(res)).toMatchObject({ code: "rate_limited", details: { quota: "events_per_second" } });
  });

  it("leaves other requests alone", async () => {
    const res = await appFor("tenant_mw_quota").request("/v1/sessions/s1/runs", append(11));
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toBeNull();
  });

  it("adds the quota headers to a quota refusal decided behind it", async () => {
    const refusal = new AppError("quota_exceeded", "too many sessions", {
      quota: "active_sessions",
      limit: 2,
      current: 2,
      remaining: 0,
      retry_after_ms: 1000,
      scope: "tenant",
    });
    const res = await appFor("tenant_mw_quota", () => {
      throw refusal;
    }).request("/v1/sessions", { method: "POST" });
    expect(res.status).toBe(429);
    expect(res.headers.get("ratelimit-policy")).not.toBeNull();
  });
});

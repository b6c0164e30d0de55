import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { auth, tenantForKey } from "../../../src/api/middleware/auth";
import { mintStreamToken, streamTokenSecret } from "../../../src/core/stream-token";
import { appWith, errorOf } from "./harness";

const app = appWith([auth], (c) => c.json({ tenant: c.get("tenantId") }));

describe("auth middleware", () => {
  it("maps a bearer key to its tenant (scheme case-insensitive)", async () => {
    const res = await app.request("/v1/x", { headers: { authorization: "bearer test_key_a" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenant: "tenant_a" });
  });

  it("refuses a missing or wrong key with 401 and WWW-Authenticate", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer test_key_" },
      { authorization: "Bearer test_key_a_longer" },
      { authorization: "Basic x" },
    ];
    for (const headers of attempts) {
      const res = await app.request("/v1/x", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="asm"');
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
  });

  it("never takes a key from the URL, even a valid one", async () => {
    const res = await app.request("/v1/x?api_key=test_key_a", { headers: { authorization: "Bearer test_key_a" } });
    expect(res.status).toBe(401);
  });

  it("takes a stream token only on its own session's stream", async () => {
    const secret = await streamTokenSecret(env);
    if (!secret) throw new Error("no stream token secret in the test env");
    const token = await mintStreamToken(secret, { tenantId: "tenant_a", sessionId: "ses_1", expiresAt: Date.now() + 60_000 });
    const sse = { headers: { accept: "text/event-stream" } };
    const own = await app.request(`/v1/sessions/ses_1/events?token=${token}`, sse);
    expect(await own.json()).toEqual({ tenant: "tenant_a" });
    expect((await app.request(`/v1/sessions/ses_2/events?token=${token}`, sse)).status).toBe(401);
    expect((await app.request(`/v1/sessions/ses_1/events?token=${token}`)).status).toBe(401); // not a stream
    expect((await app.request(`/v1/sessions/ses_1?token=${token}`, sse)).status).toBe(401);
  });

  it("compares every configured key", () => {
    expect(tenantForKey("k1=t1,k2=t2", "k2")).toBe("t2");
    expect(tenantForKey("k1=t1,k2=t2", "k")).toBeNull();
    expect(tenantForKey(undefined, "k1")).toBeNull();
  });
});

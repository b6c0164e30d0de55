import { describe, expect, it } from "vitest";
import { corsForAllowedOrigins } from "../../../src/api/middleware/cors";
import { appWith } from "./harness";

// The test env allows one origin: https://dash.asm.test (vitest.config.ts).
const app = appWith([corsForAllowedOrigins]);
const preflight = (origin: string) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
});

describe("cors middleware", () => {
  it("answers an allowed origin's preflight with what it may send", async () => {
    const res = await app.request("/v1/sessions", preflight("https://dash.asm.test"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://dash.asm.test");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
  });

  it("exposes the API's headers to an allowed origin", async () => {
    const res = await app.request("/v1/sessions", { headers: { origin: "https://dash.asm.test" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://dash.asm.test");
    expect(res.headers.get("access-control-expose-headers")).toContain("etag");
  });

  it("gives any other origin no Access-Control-Allow-Origin", async () => {
    for (const init of [preflight("https://evil.test"), { headers: { origin: "https://evil.test" } }]) {
      const res = await app.request("/v1/sessions", init);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });
});

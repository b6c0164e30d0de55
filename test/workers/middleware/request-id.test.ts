import { describe, expect, it } from "vitest";
import { appWith } from "./harness";

// appWith mounts requestContext first on every app; here it is the middleware under test.
const app = appWith([], (c) => c.json({ id: c.get("requestId"), maxBodyBytes: c.get("config").maxBodyBytes }));

describe("request-id middleware", () => {
  it("makes an id when the client sends none, and echoes it", async () => {
    const res = await app.request("/v1/x");
    const body = (await res.json()) as { id: string; maxBodyBytes: number };
    expect(body.id).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get("x-request-id")).toBe(body.id);
    expect(body.maxBodyBytes).toBeGreaterThan(0);
  });

  it("keeps the client's id, cut to 64 characters", async () => {
    const res = await app.request("/v1/x", { headers: { "x-request-id": "r".repeat(100) } });
    expect(res.headers.get("x-request-id")).toBe("r".repeat(64));
  });
});

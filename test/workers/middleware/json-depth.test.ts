import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { jsonDepthLimit } from "../../../src/api/middleware/json-depth";
import { appWith, errorOf } from "./harness";

const app = appWith([jsonDepthLimit], async (c) => c.json({ parsed: typeof (await c.req.json()) }));
const limit = Number(env.MAX_JSON_DEPTH);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const post = (body: string, type = "application/json") => ({ method: "POST", body, headers: { "content-type": type } });

describe("json-depth middleware", () => {
  it("passes a body at the limit, and the route can still read it", async () => {
    const res = await app.request("/v1/x", post(nested(limit)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ parsed: "object" });
  });

  it("refuses one level deeper with 400 validation_error naming the setting", async () => {
    const res = await app.request("/v1/x", post(nested(limit + 1)));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "validation_error", details: { max_depth: limit, setting: "MAX_JSON_DEPTH" } });
  });

  it("does not read bodies that are not JSON", async () => {
    const plain = appWith([jsonDepthLimit]);
    expect((await plain.request("/v1/x", post(nested(limit + 1), "text/plain"))).status).toBe(200);
  });
});

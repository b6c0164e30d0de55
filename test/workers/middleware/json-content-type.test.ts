import { describe, expect, it } from "vitest";
import { requireJsonBody } from "../../../src/api/middleware/json-content-type";
import { appWith, errorOf } from "./harness";

const app = appWith([requireJsonBody(["/v1/import"])]);
const post = (type: string | null, body: string | null = "{}"): RequestInit => ({
  method: "POST",
  body,
  headers: type ? { "content-type": type } : {},
});

describe("json-content-type middleware", () => {
  it("lets JSON bodies through, +json types and parameters included", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]) {
      expect((await app.request("/v1/x", post(type))).status, type).toBe(200);
    }
  });

  it("refuses other body types with 415 naming what is accepted", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonp", null]) {
      const res = await app.request("/v1/x", post(type));
      expect(res.status, String(type)).toBe(415);
      expect(await errorOf(res)).toMatchObject({ code: "unsupported_media_type", details: { accepted: ["application/json"] } });
    }
  });

  it("does not look at bodiless requests or reads", async () => {
    expect((await app.request("/v1/x", post("text/plain", null))).status).toBe(200);
    expect((await app.request("/v1/x")).status).toBe(200);
  });

  it("takes NDJSON only on the paths it was given", async () => {
    expect((await app.request("/v1/import", post("application/x-ndjson", "{}\n"))).status).toBe(200);
    expect((await app.request("/v1/x", post("application/x-ndjson", "{}\n"))).status).toBe(415);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { DOCS_PAGE } from "../../src/api/docs";
import { describe, expect, it } from "vitest";

/** /docs serves Swagger UI from web/vendor/swagger-ui: the copy must be the installed swagger-ui-dist's. */
describe("vendored Swagger UI", () => {
  it("holds every asset the /docs page loads (served as static assets from web/)", () => {
    const assets = [...DOCS_PAGE.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) expect(existsSync(`web${asset}`), asset).toBe(true);
  });

  it("matches node_modules/swagger-ui-dist (refresh with node scripts/vendor-swagger-ui.mjs)", () => {
    for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
      expect(readFileSync(`web/vendor/swagger-ui/${file}`).equals(readFileSync(`node_modules/swagger-ui-dist/${file}`)), file).toBe(true);
    }
  });
});

// Copies Swagger UI from node_modules/swagger-ui-dist into web/vendor/swagger-ui/ (served by the Worker for /docs,
// so the docs load without a CDN). Run after upgrading swagger-ui-dist; test/node/docs-assets.test.ts checks the copy.
import { copyFileSync, mkdirSync } from "node:fs";

export const VENDORED = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "swagger-ui-bundle.js.LICENSE.txt"];
mkdirSync("web/vendor/swagger-ui", { recursive: true });
for (const f of VENDORED) copyFileSync(`node_modules/swagger-ui-dist/${f}`, `web/vendor/swagger-ui/${f}`);
console.log(`vendored ${VENDORED.length} files of swagger-ui-dist`);

/**
 * Writes the app's OpenAPI document (the one GET /openapi.json serves) to a file, without a server:
 * `tsx scripts/openapi.ts [out]` (default dist/openapi.json). Used by `npm run lint:openapi` and the client build.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createApp } from "../src/api/app";
import { openApiDocument } from "../src/api/openapi-document";

const out = process.argv[2] ?? "dist/openapi.json";
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(openApiDocument(createApp()), null, 2)}\n`);
console.log(`wrote ${out}`);

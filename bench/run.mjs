#!/usr/bin/env node
// `npm run bench [case…]`: starts the local stack once, runs each case, prints a table and writes JSON to bench/results/.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root, startStack, table } from "./harness.mjs";

const dir = join(root, "bench", "cases");
const wanted = process.argv.slice(2);
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".mjs"))
  .map((f) => f.replace(/\.mjs$/, ""))
  .filter((name) => wanted.length === 0 || wanted.includes(name));

// Model agents run against a local fake Messages API (the real SDK, the real streaming protocol).
const { startFakeAnthropic } = await import("../test/fakes/anthropic-server.ts");
const anthropic = await startFakeAnthropic();
const stack = await startStack({
  quiet: !process.env.BENCH_VERBOSE,
  peer: true,
  // BENCH_VARS (JSON) sets more Worker variables for a diagnostic run, e.g. '{"FLUSH_MAX_LAG_MS":"600000"}'.
  vars: { ANTHROPIC_BASE_URL: anthropic.url, ANTHROPIC_API_KEY: "sk-ant-bench-fake", ...JSON.parse(process.env.BENCH_VARS ?? "{}") },
});
const results = [];
try {
  for (const name of cases) {
    const mod = await import(join(dir, `${name}.mjs`));
    const started = Date.now();
    const result = await mod.run(stack, { anthropicUrl: anthropic.url });
    console.log(`\n## ${result.name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n${table(result.rows)}`);
    results.push({ ...result, case_file: name });
  }
} finally {
  await stack.stop();
  await anthropic.close();
}
mkdirSync(join(root, "bench", "results"), { recursive: true });
const file = join(root, "bench", "results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2));
console.log(`\nwrote ${file}`);

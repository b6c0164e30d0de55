#!/usr/bin/env node
// `npm run dev`: local D1 migrations, the local sandbox server, and `wrangler dev`, together.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { readDevVars, wranglerEnvArg } from "./dev-vars.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("[dev] created .dev.vars from .dev.vars.example");
}
// The same values wrangler dev gives the Worker (dotenv rules, `.dev.vars.<env>` with --env).
const vars = readDevVars(root, wranglerEnvArg(process.argv.slice(2)));
// An empty PORT (as `PORT= npm run dev` gives) means the default, not "let wrangler pick a random port".
const port = process.env.PORT || "8787";
const sandboxUrl = new URL(vars.SANDBOX_URL ?? "http://127.0.0.1:8788");
const bin = (name) => join(root, "node_modules", ".bin", name);

console.log("[dev] applying D1 migrations locally");
const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: { ...process.env, CI: "1" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children = new Set();
/** Starts a child whose output is prefixed; `onExit` decides what its end means. */
function start(name, cmd, args, env, onExit) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const prefix = (line) => `[${name}] ${line}`;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream.on("data", (d) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) console.log(prefix(line));
    });
  }
  child.on("exit", (code, signal) => {
    children.delete(child);
    console.log(prefix(`exited with ${code ?? signal}`));
    onExit(code);
  });
  children.add(child);
  return child;
}

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

// The sandbox runs as one Node process (no tsx wrapper), so its jails die with it (bubblewrap's --die-with-parent);
// if it stops, it is restarted and the Worker keeps serving (runs in flight fail with a clear sandbox error).
const sandboxSettings = Object.fromEntries(Object.entries(vars).filter(([k]) => k.startsWith("SANDBOX_") && k !== "SANDBOX_URL"));
let sandboxRestarts = 0;
function startSandbox() {
  const started = Date.now();
  start(
    "sandbox",
    process.execPath,
    ["--import", "tsx", "sandbox/main.ts"],
    {
      ...sandboxSettings,
      SANDBOX_PORT: sandboxUrl.port || "8788",
      SANDBOX_HOST: sandboxUrl.hostname,
      SANDBOX_TOKEN: vars.SANDBOX_TOKEN ?? "",
      SANDBOX_ROOT: process.env.SANDBOX_ROOT || join(root, ".asm-sandbox"),
    },
    () => {
      if (stopping) return;
      // A crash loop backs off (up to 10 s); a sandbox that ran a while restarts at once.
      sandboxRestarts = Date.now() - started > 30_000 ? 0 : sandboxRestarts + 1;
      const delay = Math.min(10_000, 250 * 2 ** sandboxRestarts);
      console.log(`[dev] restarting the sandbox in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) startSandbox();
      }, delay).unref();
    },
  );
}
startSandbox();
// --test-scheduled: with [assets], miniflare's /cdn-cgi/handler/scheduled never reaches the Worker (its assets proxy
// fails to pass the ScheduledController on); `curl "http://127.0.0.1:8787/__scheduled?cron=17+3+*+*+*"` runs the cron.
start("worker", bin("wrangler"), ["dev", "--port", port, "--ip", "127.0.0.1", "--test-scheduled", ...process.argv.slice(2)], {}, (code) =>
  shutdown(code ?? 1),
);
console.log(`[dev] ASM on http://127.0.0.1:${port} (API key: see .dev.vars, default asm_dev_key)`);

import { type NetworkPolicy, NetworkPolicySchema } from "../src/core/sandbox-protocol";
import { limitsFromEnv } from "./limits";
import { startSandboxServer } from "./server";

/**
 * Entry point: `tsx sandbox/main.ts` (and the container image). Configuration comes from the environment:
 * SANDBOX_TOKEN (required), SANDBOX_PORT, SANDBOX_HOST, SANDBOX_ROOT, SANDBOX_ISOLATION (auto | bubblewrap | none),
 * SANDBOX_READONLY_PATHS (colon-separated host folders visible read-only in every jail), SANDBOX_DEFAULT_NETWORK
 * (JSON: "none", "all" or {"allow":[...]}), SANDBOX_REATTACH_GRACE_MS (how long a running exec whose client went away
 * waits for it to reattach; default 10 s) and the SANDBOX_MAX_* limits (see limits.ts).
 */

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function positiveMs(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) fail(`expected a number of milliseconds, not ${raw}`);
  return n;
}

const token = process.env.SANDBOX_TOKEN;
if (!token) fail("SANDBOX_TOKEN is required");
const port = Number(process.env.SANDBOX_PORT ?? 8788);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`SANDBOX_PORT is not a valid port: ${process.env.SANDBOX_PORT}`);
const isolation = process.env.SANDBOX_ISOLATION || "auto";
if (isolation !== "auto" && isolation !== "bubblewrap" && isolation !== "none")
  fail(`SANDBOX_ISOLATION must be auto, bubblewrap or none, not ${isolation}`);
let defaultNetwork: NetworkPolicy;
try {
  defaultNetwork = NetworkPolicySchema.parse(JSON.parse(process.env.SANDBOX_DEFAULT_NETWORK || '"none"'));
} catch (err) {
  fail(`SANDBOX_DEFAULT_NETWORK must be JSON: "none", "all" or {"allow":["host",...]} (${(err as Error).message})`);
}

const server = await startSandboxServer({
  port,
  host: process.env.SANDBOX_HOST || "127.0.0.1",
  token,
  root: process.env.SANDBOX_ROOT || "./.asm-sandbox",
  isolation,
  readOnlyPaths: (process.env.SANDBOX_READONLY_PATHS ?? "").split(":").filter(Boolean),
  defaultNetwork,
  limits: limitsFromEnv(process.env),
  reattachGraceMs: positiveMs(process.env.SANDBOX_REATTACH_GRACE_MS),
}).catch((err: unknown) => fail(`sandbox could not start: ${err instanceof Error ? err.message : String(err)}`));
console.log(`sandbox listening on ${server.url}`);
const iso = server.isolation.info;
if (iso.mode === "none") {
  console.warn("************************************************************************************************");
  console.warn(`* WARNING: runs are NOT isolated: ${iso.reason}`);
  console.warn("* Commands run as this server's user and can read its files, other sessions and this machine.");
  console.warn("************************************************************************************************");
} else {
  console.log(
    `isolation: bubblewrap, ${iso.distinct_user ? "one user per workspace" : "same user as the server (not root)"}, default network ${JSON.stringify(iso.default_network)}`,
  );
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getRequestListener } from "@hono/node-server";
import type { HealthResponse, NetworkPolicy, SandboxLimits } from "../src/core/sandbox-protocol";
import { ExecRegistry } from "./attach";
import { detectCgroups } from "./cgroups";
import { ProcessTable } from "./exec";
import { sandboxHandlers } from "./handlers";
import { errorResponse } from "./http";
import { detectIsolation, type Isolation, type IsolationSettings } from "./isolation";
import { DEFAULT_LIMITS, Watchdog } from "./limits";
import { Workspaces } from "./paths";
import { sandboxApp } from "./wire";

/**
 * The sandbox HTTP server: token-authenticated exec, files and workspace snapshots, served by a Hono app (wire.ts,
 * handlers.ts) on a node:http server of our own. Every process it starts runs in the workspace's jail (isolation.ts)
 * when the machine allows it; /health says which.
 */

export type SandboxServerOptions = {
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  token: string;
  root: string;
  /** Time between SIGTERM and SIGKILL when an exec is killed or times out. */
  killGraceMs?: number;
  /** A streamed exec that has been silent this long gets a `{type:"heartbeat"}` line. */
  heartbeatMs?: number;
  /** How long a running exec whose client went away waits for it to reattach before it is killed. */
  reattachGraceMs?: number;
  /** How long an ended exec's result is kept for a client that retries after its answer was lost. */
  execResultTtlMs?: number;
  /** `auto` (default): bubblewrap when it works here; `bubblewrap`: refuse to start without it; `none`: off. */
  isolation?: IsolationSettings["mode"];
  /** Extra host folders visible read-only, at the same path, inside every jail (fake CLIs in tests). */
  readOnlyPaths?: string[];
  /** Network of commands that do not ask for one. */
  defaultNetwork?: NetworkPolicy;
  /** Upper bounds for every run (a run may ask for less). */
  limits?: Required<SandboxLimits>;
};

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Longer than the client's whole retry budget (SANDBOX_RETRY_* in src/core/config.ts), so a retry finds its exec. */
const DEFAULT_REATTACH_GRACE_MS = 10_000;
const DEFAULT_EXEC_RESULT_TTL_MS = 120_000;
const MAX_RETAINED_RESULT_BYTES = 64 * 1024 * 1024;
/**
 * Idle keep-alive connections are kept longer than a client's pool keeps them (Node's default is 5 s): a server that
 * closes a socket the client is just reusing is the classic source of "Network connection lost".
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
export type SandboxServer = { url: string; port: number; isolation: Isolation; close(): Promise<void> };

/**
 * Per-process proxy sockets live in a private folder under the system temp dir: a Unix socket path must stay
 * under 108 bytes, which a workspace root inside a deep checkout would exceed.
 */
async function runtimeRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "asm-rt-"));
  await chmod(dir, 0o711);
  return dir;
}

export async function startSandboxServer(options: SandboxServerOptions): Promise<SandboxServer> {
  if (!options.token) throw new Error("startSandboxServer: a non-empty token is required");
  const opts = { ...options, root: resolve(options.root) };
  const defaultNetwork = opts.defaultNetwork ?? "none";
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const isolation = detectIsolation({
    mode: opts.isolation ?? "auto",
    readOnlyPaths: opts.readOnlyPaths ?? [],
    defaultNetwork,
    defaultLimits: limits,
  });
  const runtime = await runtimeRoot();
  const cgroups = isolation.enabled ? await detectCgroups() : null;
  isolation.info.resource_bounds = cgroups ? `cgroup_v${cgroups.version}` : "rlimits";
  const table = new ProcessTable({
    isolation,
    cgroups,
    watchdog: new Watchdog(),
    serverLimits: limits,
    defaultNetwork,
    runtimeRoot: runtime,
    graceMs: opts.killGraceMs,
  });
  const workspaces = new Workspaces(opts.root, isolation.enabled, isolation.switchUser, (ws) => (spec) => table.run(ws, spec));
  const registry = new ExecRegistry({
    graceMs: opts.reattachGraceMs ?? DEFAULT_REATTACH_GRACE_MS,
    resultTtlMs: opts.execResultTtlMs ?? DEFAULT_EXEC_RESULT_TTL_MS,
    maxRetainedBytes: MAX_RETAINED_RESULT_BYTES,
    heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    abandon: (workspace, id) => table.abandon(workspace, id),
  });
  const health: HealthResponse = { ok: true, isolation: isolation.info };
  const app = sandboxApp(opts.token, sandboxHandlers({ root: opts.root, table, registry, workspaces, health }));
  // Global Request/Response stay Node's own: the sandbox shares its process with clients in tests and tools.
  const listener = getRequestListener(
    (request, env) => {
      // An HTTP/1 server: the exec stream needs node's ServerResponse (attach.ts).
      if (!(env.incoming instanceof IncomingMessage) || !(env.outgoing instanceof ServerResponse))
        return errorResponse(new Error("not an HTTP/1 request"));
      return app.fetch(request, { incoming: env.incoming, outgoing: env.outgoing });
    },
    { overrideGlobalObjects: false },
  );
  const server = createServer(listener);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolveListen());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    isolation,
    close: () =>
      new Promise<void>((resolveClose) => {
        table.killAll();
        registry.clear();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }).then(() => rm(runtime, { recursive: true, force: true })),
  };
}

import { randomUUID, timingSafeEqual } from "node:crypto";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { AppError } from "../src/core/errors";
import {
  DiffRequestSchema, ExecRequestSchema, FileEditRequestSchema, FileWriteRequestSchema, RollbackRequestSchema,
  SANDBOX_WORKSPACE_HEADER, SnapshotRequestSchema, type HealthResponse, type NetworkPolicy,
  type SandboxLimits, type WorkspaceDeleteResponse,
} from "../src/core/sandbox-protocol";
import { ExecRegistry, execFingerprint } from "./attach";
import { detectCgroups } from "./cgroups";
import { ProcessTable } from "./exec";
import { editTextFile, listFiles, readTextFile, writeTextFile } from "./files";
import { readJson, sendError, sendJson } from "./http";
import { detectIsolation, type Isolation, type IsolationSettings } from "./isolation";
import { DEFAULT_LIMITS, killUserProcesses, Watchdog } from "./limits";
import { resolveInside, Workspaces, type Workspace } from "./paths";
import { SNAPSHOT_STORE_DIR } from "./snapshot-hash";
import { diffSnapshots, rollbackSnapshot, takeSnapshot } from "./snapshots";

/**
 * The sandbox HTTP server: token-authenticated exec, files and workspace snapshots. Every process it starts runs
 * in the workspace's jail (isolation.ts) when the machine allows it; /health says which.
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

type Ctx = { req: IncomingMessage; res: ServerResponse; url: URL; ws: () => Promise<Workspace>; workspaceId: string | undefined };
type Parts = { table: ProcessTable; registry: ExecRegistry; workspaces: Workspaces; isolation: Isolation };

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  if (!match) return false;
  const [given, expected] = [Buffer.from(match[1]!), Buffer.from(token)];
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function resolveCwd(ws: Workspace, cwd: string): Promise<string> {
  const abs = await resolveInside(ws, cwd);
  const info = await stat(abs).catch(() => null);
  if (!info?.isDirectory()) throw new AppError("validation_error", `cwd is not a directory: ${cwd}`, { cwd });
  return abs;
}

/**
 * `POST /exec`. An id that is already known (running, or ended a moment ago) with the same request reattaches to
 * that exec (attach.ts) instead of starting it again; with a different request it is a 409 `already_exists`.
 */
async function handleExec(ctx: Ctx, parts: Parts): Promise<void> {
  const { req, res } = ctx;
  const { table, registry } = parts;
  const body = await readJson(req, ExecRequestSchema);
  const { stream = false, resume = { stdout: 0, stderr: 0 }, ...request } = body;
  const ws = await ctx.ws();
  const id = request.id ?? `exec_${randomUUID().replace(/-/g, "")}`;
  const fingerprint = execFingerprint({ ...request, id });
  const known = registry.get(ws.id, id);
  if (known) {
    if (known.fingerprint !== fingerprint) {
      throw new AppError("already_exists", `an exec with id ${id} exists for a different request`, { id });
    }
    return registry.attach(known, res, stream, resume);
  }
  const cwd = await resolveCwd(ws, request.cwd ?? ".");
  // Registered before the process exists: a retry that arrives while the jail is being set up attaches to it.
  const entry = registry.create(ws.id, id, fingerprint, res, stream, resume);
  try {
    const { done } = await table.start(ws, { ...request, id, cwd }, {
      onStarted: (_id, pid) => registry.started(entry, pid),
      onChunk: (which, data) => registry.chunk(entry, which, data),
    });
    void done.then((result) => registry.finished(entry, result), (err: unknown) => registry.failed(entry, err));
  } catch (err) {
    registry.failed(entry, err);
  }
}

/** Hard delete: every process of the workspace is killed, then its folder, home and manifests are removed. */
async function deleteWorkspace(ctx: Ctx, parts: Parts): Promise<WorkspaceDeleteResponse> {
  const ws = await ctx.ws();
  const killed = await parts.table.killWorkspace(ws.id);
  parts.registry.forgetWorkspace(ws.id);
  if (ws.uid !== null) await killUserProcesses(ws.uid);
  const removed = await parts.workspaces.remove(ws.id, [join(parts.workspaces.root, SNAPSHOT_STORE_DIR, ws.id)]);
  return { killed, removed };
}

async function route(ctx: Ctx, opts: SandboxServerOptions, parts: Parts): Promise<void> {
  const { table } = parts;
  const { req, res, url } = ctx;
  const key = `${req.method} ${url.pathname}`;
  const killMatch = /^\/exec\/([^/]+)\/kill$/.exec(url.pathname);
  if (req.method === "POST" && killMatch) {
    const id = decodeURIComponent(killMatch[1]!);
    const killed = await table.kill((await ctx.ws()).id, id);
    if (!killed) throw new AppError("not_found", `no running exec with id ${id}`, { id });
    return sendJson(res, 200, killed);
  }
  switch (key) {
    case "POST /exec":
      return handleExec(ctx, parts);
    case "GET /files":
      return sendJson(res, 200, await readTextFile(await ctx.ws(), requiredQuery(url, "path")));
    case "PUT /files": {
      const body = await readJson(req, FileWriteRequestSchema);
      return sendJson(res, 200, await writeTextFile(await ctx.ws(), body.path, body.content));
    }
    case "GET /files/list": {
      const recursive = ["1", "true"].includes(url.searchParams.get("recursive") ?? "");
      return sendJson(res, 200, await listFiles(await ctx.ws(), url.searchParams.get("path") || ".", recursive));
    }
    case "POST /files/edit":
      return sendJson(res, 200, await editTextFile(await ctx.ws(), await readJson(req, FileEditRequestSchema)));
    case "POST /workspace/snapshot":
      return sendJson(res, 200, await takeSnapshot(opts.root, await ctx.ws(), await readJson(req, SnapshotRequestSchema)));
    case "POST /workspace/diff":
      return sendJson(res, 200, await diffSnapshots(opts.root, await ctx.ws(), await readJson(req, DiffRequestSchema)));
    case "POST /workspace/rollback":
      return sendJson(res, 200, await rollbackSnapshot(await ctx.ws(), await readJson(req, RollbackRequestSchema)));
    case "DELETE /workspace":
      return sendJson(res, 200, await deleteWorkspace(ctx, parts));
  }
  throw new AppError("not_found", `no route for ${key}`);
}

function requiredQuery(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (!value) throw new AppError("validation_error", `query parameter ${name} is required`);
  return value;
}

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
  const isolation = detectIsolation({ mode: opts.isolation ?? "auto", readOnlyPaths: opts.readOnlyPaths ?? [], defaultNetwork, defaultLimits: limits });
  const runtime = await runtimeRoot();
  const cgroups = isolation.enabled ? await detectCgroups() : null;
  isolation.info.resource_bounds = cgroups ? `cgroup_v${cgroups.version}` : "rlimits";
  const table = new ProcessTable({
    isolation, cgroups, watchdog: new Watchdog(), serverLimits: limits, defaultNetwork, runtimeRoot: runtime, graceMs: opts.killGraceMs,
  });
  const workspaces = new Workspaces(opts.root, isolation.enabled, isolation.switchUser, (ws) => (spec) => table.run(ws, spec));
  const registry = new ExecRegistry({
    graceMs: opts.reattachGraceMs ?? DEFAULT_REATTACH_GRACE_MS,
    resultTtlMs: opts.execResultTtlMs ?? DEFAULT_EXEC_RESULT_TTL_MS,
    maxRetainedBytes: MAX_RETAINED_RESULT_BYTES,
    heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    abandon: (workspace, id) => table.abandon(workspace, id),
  });
  const parts: Parts = { table, registry, workspaces, isolation };
  const health: HealthResponse = { ok: true, isolation: isolation.info };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const handle = async () => {
      if (req.method === "GET" && url.pathname === "/health") return sendJson(res, 200, health);
      if (!tokenMatches(req.headers.authorization, opts.token)) {
        throw new AppError("unauthorized", "missing or invalid bearer token");
      }
      const header = req.headers[SANDBOX_WORKSPACE_HEADER];
      const workspaceId = Array.isArray(header) ? header[0] : header;
      await route({ req, res, url, ws: () => workspaces.open(workspaceId), workspaceId }, opts, parts);
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) res.end();
      else sendError(res, err);
    });
  });
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

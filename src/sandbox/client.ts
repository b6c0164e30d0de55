import type { z } from "zod";
import { AppError } from "../core/errors";
import {
  SANDBOX_WORKSPACE_HEADER,
  type Diff,
  type FileEditRequest,
  type FileEditResponse,
  type HealthResponse,
  type KillResult,
  type RollbackResponse,
  type Snapshot,
  type SnapshotRequest,
  type WorkspaceDeleteResponse,
} from "../core/sandbox-protocol";
import type { RestoreFromRequest, RestoreFromResponse } from "../core/sandbox-restore";
import { SANDBOX_ROUTES, sandboxPath, type Given, type SandboxMethod, type SandboxRoute } from "../core/sandbox-routes";
import type { ExecChunk, ExecRequest, ExecResult, FileEntry, SandboxPort } from "../providers/types";
import { forEachNdjsonLine } from "./ndjson";

/**
 * The client providers use to reach a sandbox. It speaks HTTP through any `fetch`-like binding: a Container DO stub
 * in production, global `fetch` to SANDBOX_URL locally. Web-standard APIs only. Every call goes through a route of
 * SANDBOX_ROUTES (src/core/sandbox-routes.ts): its method, path, retry safety and response schema.
 */

export type SandboxFetcher = { fetch(input: Request): Promise<Response> };
export type ExecDefaults = Pick<ExecRequest, "network" | "limits">;
/**
 * How transient link failures are retried: `attempts` tries in all, waiting `baseMs`, 2×, 4× … (capped at 2 s, with
 * jitter) in between. Defaults: SANDBOX_RETRY_ATTEMPTS / SANDBOX_RETRY_BASE_MS in src/core/config.ts.
 */
export type RetryPolicy = { attempts: number; baseMs: number };
export type SandboxClientOptions = {
  fetcher: SandboxFetcher;
  baseUrl: string;
  token: string;
  workspace: string;
  execDefaults?: ExecDefaults;
  retry?: RetryPolicy;
};
export type DiffOptions = { capture_patch?: boolean; max_patch_bytes?: number };

/** What a call hands over in each slot of its route (path and query values travel as strings). */
type CallInput<R extends SandboxRoute> = {
  params?: Given<R["params"]> & Record<string, string>;
  query?: Given<R["query"]> & Record<string, string>;
  body?: Given<R["body"]>;
};

const EXEC = SANDBOX_ROUTES.exec;
const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 100 };
const MAX_BACKOFF_MS = 2_000;

/**
 * The link failed, not the sandbox: the connection could not be made or was cut, or something between us (the
 * container runtime, a proxy) answered 502/503/504 instead of the server. Worth another try where that is safe.
 */
class LinkError extends AppError {}

function isLinkError(err: unknown): err is LinkError {
  return err instanceof LinkError;
}

/** A kill answers once the process is gone (SIGTERM, then SIGKILL after the grace period): well within this. */
const KILL_ATTEMPT_MS = 5_000;

function backoffMs(policy: RetryPolicy, retry: number): number {
  const base = Math.min(policy.baseMs * 2 ** (retry - 1), MAX_BACKOFF_MS);
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function newExecId(): string {
  return `exec_${crypto.randomUUID().replace(/-/g, "")}`;
}

function cancelled(id: string): AppError {
  return new AppError("cancelled", `exec ${id} was aborted`, { id });
}

/** Turns a non-2xx answer into an AppError carrying the server's code. */
async function errorFromResponse(res: Response): Promise<AppError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && typeof e.code === "string" && typeof e.message === "string") {
      const details = typeof e.details === "object" && e.details !== null ? (e.details as Record<string, unknown>) : {};
      return AppError.from({ code: e.code, message: e.message, details });
    }
  } catch {
    // Not our JSON: a proxy or the container runtime answered.
  }
  const snippet = text.slice(0, 300);
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    return new LinkError("dependency_not_available", `sandbox not reachable: HTTP ${res.status} from the link: ${snippet}`, {
      status: res.status,
    });
  }
  if (res.status >= 500) {
    return new AppError("dependency_not_available", `sandbox answered HTTP ${res.status}: ${snippet}`, { status: res.status });
  }
  return new AppError("internal_error", `unexpected sandbox answer HTTP ${res.status}: ${snippet}`, { status: res.status });
}

function parseBody<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new AppError("internal_error", `malformed sandbox ${what}`, { issues: parsed.error.issues.slice(0, 5) });
  return parsed.data;
}

export class SandboxClient implements SandboxPort {
  private readonly baseUrl: string;

  constructor(private readonly opts: SandboxClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
  }

  get workspace(): string {
    return this.opts.workspace;
  }

  private get retry(): RetryPolicy {
    return this.opts.retry ?? DEFAULT_RETRY;
  }

  /** Sends one request; network failures become a `dependency_not_available` LinkError, error bodies AppErrors. */
  private async sendOnce(method: SandboxMethod, path: string, body?: unknown, signal?: AbortSignal, auth = true): Promise<Response> {
    const headers = new Headers({ [SANDBOX_WORKSPACE_HEADER]: this.opts.workspace });
    if (auth) headers.set("authorization", `Bearer ${this.opts.token}`);
    if (body !== undefined) headers.set("content-type", "application/json");
    const request = new Request(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    let res: Response;
    try {
      res = await this.opts.fetcher.fetch(request);
    } catch (err) {
      if (signal?.aborted) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new LinkError("dependency_not_available", `sandbox not reachable at ${this.baseUrl}: ${reason}`, { base_url: this.baseUrl });
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  /**
   * Runs `attempt` until it succeeds, fails for a reason other than the link, or the attempts run out. Only for
   * calls that are safe to repeat: reads, snapshots, diffs, health, whole-file writes, kills, and exec (by its id).
   */
  private async retrying<T>(what: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    const { attempts } = this.retry;
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!isLinkError(err) || signal?.aborted) throw err;
        if (i >= attempts) {
          throw new AppError("dependency_not_available", `${err.message} (${what}: ${attempts} attempts)`, { ...err.details, attempts });
        }
        await sleep(backoffMs(this.retry, i), signal);
      }
    }
  }

  private send(
    method: SandboxMethod,
    path: string,
    body: unknown,
    opts: { idempotent: boolean; auth?: boolean; attemptMs?: number },
  ): Promise<Response> {
    const once = () => {
      if (!opts.attemptMs) return this.sendOnce(method, path, body, undefined, opts.auth ?? true);
      // A request stuck on a dead connection is given up after `attemptMs` and counts as a link failure (retried).
      const timeout = AbortSignal.timeout(opts.attemptMs);
      return this.sendOnce(method, path, body, timeout, opts.auth ?? true).catch((err: unknown) => {
        if (!timeout.aborted) throw err;
        throw new LinkError(
          "dependency_not_available",
          `sandbox did not answer ${method} ${path.split("?")[0]} within ${opts.attemptMs} ms`,
          { base_url: this.baseUrl },
        );
      });
    };
    if (!opts.idempotent) {
      // Sent once: a repeated edit or rollback could apply twice. A link failure is still reported as one.
      return once().catch((err: unknown) => {
        throw isLinkError(err) ? new AppError("dependency_not_available", err.message, err.details) : err;
      });
    }
    return this.retrying(`${method} ${path.split("?")[0]}`, undefined, once);
  }

  /** One JSON route of the table: retried when the route is idempotent, the answer checked with its schema. */
  private async call<R extends SandboxRoute>(
    route: R,
    what: string,
    req: CallInput<R>,
    attemptMs?: number,
  ): Promise<z.output<R["response"]>> {
    const path = sandboxPath(route, req.params, req.query);
    const opts = { idempotent: route.idempotent, auth: route.auth, ...(attemptMs ? { attemptMs } : {}) };
    const res = await this.send(route.method, path, req.body, opts);
    const raw: unknown = await res.json().catch(() => {
      throw new AppError("internal_error", `sandbox answered ${what} with invalid JSON`);
    });
    return parseBody<R["response"]>(route.response, raw, `${what} response`);
  }

  /**
   * Runs `fn` with a request signal tied to the caller's: aborting cancels the request, then kills the process
   * (best effort; the server also kills it when the connection drops) and rejects with `cancelled`.
   */
  private async abortable<T>(id: string, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw cancelled(id);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await fn(controller.signal);
    } catch (err) {
      if (!signal?.aborted) throw err;
      await this.kill(id).catch(() => null);
      throw cancelled(id);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Runs a command to completion. It rides the streaming protocol and ignores the chunks: headers arrive at once
   * and heartbeats keep the connection busy, so long silent commands never trip an HTTP client's idle timeouts.
   */
  exec(req: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    return this.execStream(req, () => undefined, signal);
  }

  /**
   * Runs a command, streaming its output. The request carries an id; when the link drops (before the answer, or in
   * the middle of the stream) the same request is sent again with what was already received, and the sandbox
   * reattaches to the exec it has (or answers with its recorded end) instead of starting it twice. If the link
   * stays down for the whole retry budget the run fails with `dependency_not_available` saying so.
   */
  execStream(req: ExecRequest, onChunk: (chunk: ExecChunk) => void, signal?: AbortSignal): Promise<ExecResult> {
    const id = req.id ?? newExecId();
    const request = { ...this.opts.execDefaults, ...req, id, stream: true };
    const seen = { stdout: 0, stderr: 0 };
    let reattaches = 0;
    return this.abortable(id, signal, (s) =>
      this.retrying(`exec ${id}`, s, async () => {
        const body: Given<(typeof EXEC)["body"]> = { ...request, resume: { ...seen } };
        const res = await this.sendOnce(EXEC.method, EXEC.path, body, s);
        const result = await this.readExecStream(id, res, s, (chunk) => {
          seen[chunk.stream] += chunk.data.length;
          onChunk(chunk);
        }).catch((err: unknown) => {
          reattaches += 1;
          throw err;
        });
        return result;
      }).catch((err: unknown) => {
        if (err instanceof AppError && err.code === "dependency_not_available" && reattaches > 0) {
          throw new AppError(
            "dependency_not_available",
            `the sandbox connection was lost while exec ${id} was running and could not be reattached: ${err.message}`,
            {
              ...err.details,
              id,
              reattach: "failed",
            },
          );
        }
        throw err;
      }),
    );
  }

  /** Reads one exec stream to its `exit` line; a cut or an early end is a LinkError (the caller reattaches). */
  private async readExecStream(id: string, res: Response, signal: AbortSignal, onChunk: (chunk: ExecChunk) => void): Promise<ExecResult> {
    if (!res.body) throw new AppError("internal_error", "sandbox exec stream has no body");
    let result: ExecResult | null = null;
    // A connection cut mid-stream surfaces as a plain TypeError from the body reader.
    await forEachNdjsonLine(
      res.body,
      (line) => {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          throw new AppError("internal_error", "malformed line in sandbox exec stream", { line: line.slice(0, 200) });
        }
        const event = parseBody(EXEC.stream, raw, "exec stream event");
        if (event.type === "stdout" || event.type === "stderr") onChunk({ stream: event.type, data: event.data });
        else if (event.type === "exit") {
          const { type: _type, ...rest } = event;
          result = rest;
        }
      },
      signal,
    ).catch((err: unknown) => {
      if (err instanceof AppError || signal.aborted) throw err;
      throw new LinkError("dependency_not_available", `sandbox connection lost during exec ${id}: ${String(err)}`, { id });
    });
    if (!result) throw new LinkError("dependency_not_available", `sandbox exec stream ${id} ended before the process exited`, { id });
    return result;
  }

  /** SandboxPort: kills a running exec (its whole process group); an exec that already ended is not an error. */
  async kill(id: string): Promise<void> {
    await this.killProcess(id);
  }

  /** Kills a running exec and reports how it ended; null when nothing with that id is running any more. */
  async killProcess(id: string): Promise<KillResult | null> {
    try {
      return await this.call(SANDBOX_ROUTES.kill, "kill", { params: { id } }, KILL_ATTEMPT_MS);
    } catch (err) {
      if (err instanceof AppError && err.code === "not_found") return null;
      throw err;
    }
  }

  async readFile(path: string): Promise<string> {
    return (await this.call(SANDBOX_ROUTES.readFile, "read", { query: { path } })).content;
  }

  async writeFile(path: string, content: string): Promise<void> {
    await this.call(SANDBOX_ROUTES.writeFile, "write", { body: { path, content } });
  }

  async listFiles(path: string, opts: { recursive?: boolean } = {}): Promise<FileEntry[]> {
    const query = { path, recursive: opts.recursive ? "true" : "false" };
    return (await this.call(SANDBOX_ROUTES.listFiles, "list", { query })).entries;
  }

  editFile(req: FileEditRequest): Promise<FileEditResponse> {
    return this.call(SANDBOX_ROUTES.editFile, "edit", { body: req });
  }

  snapshot(req: SnapshotRequest = {}): Promise<Snapshot> {
    return this.call(SANDBOX_ROUTES.snapshot, "snapshot", { body: req });
  }

  diff(from: Snapshot, to: Snapshot, opts: DiffOptions = {}): Promise<Diff> {
    return this.call(SANDBOX_ROUTES.diff, "diff", { body: { from, to, ...opts } });
  }

  rollback(snapshot: Snapshot): Promise<RollbackResponse> {
    return this.call(SANDBOX_ROUTES.rollback, "rollback", { body: { snapshot } });
  }

  /** Materialises a git snapshot of another workspace into this one (a session fork); sent once. */
  restoreFrom(req: RestoreFromRequest): Promise<RestoreFromResponse> {
    return this.call(SANDBOX_ROUTES.restoreFrom, "restore-from", { body: req });
  }

  health(): Promise<HealthResponse> {
    return this.call(SANDBOX_ROUTES.health, "health", {});
  }

  /** Hard delete: kills every process of the workspace and removes its files, home and snapshots. */
  deleteWorkspace(): Promise<WorkspaceDeleteResponse> {
    return this.call(SANDBOX_ROUTES.deleteWorkspace, "workspace delete", {});
  }

  /** The same sandbox, with a run's network policy and limits applied to every exec that does not set its own. */
  forRun(defaults: ExecDefaults): SandboxClient {
    return new SandboxClient({ ...this.opts, execDefaults: { ...this.opts.execDefaults, ...defaults } });
  }
}

import type { z } from "zod";
import { AppError } from "../core/errors";
import {
  DiffSchema, ExecStreamEventSchema, FileEditResponseSchema, FileListResponseSchema,
  FileReadResponseSchema, FileWriteResponseSchema, HealthResponseSchema, KillResultSchema, RollbackResponseSchema,
  SANDBOX_WORKSPACE_HEADER, SnapshotSchema, WorkspaceDeleteResponseSchema,
  type Diff, type HealthResponse, type WorkspaceDeleteResponse, type FileEditRequest, type FileEditResponse, type KillResult, type RollbackResponse, type Snapshot,
  type SnapshotRequest,
} from "../core/sandbox-protocol";
import type { ExecChunk, ExecRequest, ExecResult, FileEntry, SandboxPort } from "../providers/types";
import { forEachNdjsonLine } from "./ndjson";

/**
 * The client providers use to reach a sandbox (DESIGN §6/§7). It speaks HTTP through any `fetch`-like binding:
 * a Container DO stub in production, global `fetch` to SANDBOX_URL locally. Web-standard APIs only.
 */

export type SandboxFetcher = { fetch(input: Request): Promise<Response> };
export type ExecDefaults = Pick<ExecRequest, "network" | "limits">;
export type SandboxClientOptions = { fetcher: SandboxFetcher; baseUrl: string; token: string; workspace: string; execDefaults?: ExecDefaults };
export type DiffOptions = { capture_patch?: boolean; max_patch_bytes?: number };

type Method = "GET" | "PUT" | "POST" | "DELETE";

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

  /** Sends one request; network failures become `dependency_not_available`, error bodies AppErrors. */
  private async send(method: Method, path: string, body?: unknown, signal?: AbortSignal, auth = true): Promise<Response> {
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
      throw new AppError("dependency_not_available", `sandbox not reachable at ${this.baseUrl}: ${reason}`, { base_url: this.baseUrl });
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  private async json<S extends z.ZodType>(schema: S, method: Method, path: string, body?: unknown, what = path): Promise<z.output<S>> {
    const res = await this.send(method, path, body);
    const raw: unknown = await res.json().catch(() => {
      throw new AppError("internal_error", `sandbox answered ${what} with invalid JSON`);
    });
    return parseBody(schema, raw, `${what} response`);
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

  execStream(req: ExecRequest, onChunk: (chunk: ExecChunk) => void, signal?: AbortSignal): Promise<ExecResult> {
    const id = req.id ?? newExecId();
    return this.abortable(id, signal, async (s) => {
      const res = await this.send("POST", "/exec", { ...this.opts.execDefaults, ...req, id, stream: true }, s);
      if (!res.body) throw new AppError("internal_error", "sandbox exec stream has no body");
      let result: ExecResult | null = null;
      // A connection cut mid-stream (the sandbox died) surfaces as a plain TypeError from the body reader.
      await forEachNdjsonLine(res.body, (line) => {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          throw new AppError("internal_error", "malformed line in sandbox exec stream", { line: line.slice(0, 200) });
        }
        const event = parseBody(ExecStreamEventSchema, raw, "exec stream event");
        if (event.type === "stdout" || event.type === "stderr") onChunk({ stream: event.type, data: event.data });
        else if (event.type === "exit") {
          const { type: _type, ...rest } = event;
          result = rest;
        }
      }).catch((err: unknown) => {
        if (err instanceof AppError || s.aborted) throw err;
        throw new AppError("dependency_not_available", `the sandbox connection was lost while exec ${id} was running`, { id, cause: String(err) });
      });
      if (!result) throw new AppError("dependency_not_available", `sandbox exec stream ${id} ended before the process exited`, { id });
      return result;
    });
  }

  /** SandboxPort: kills a running exec (its whole process group); an exec that already ended is not an error. */
  async kill(id: string): Promise<void> {
    await this.killProcess(id);
  }

  /** Kills a running exec and reports how it ended; null when nothing with that id is running any more. */
  async killProcess(id: string): Promise<KillResult | null> {
    try {
      return await this.json(KillResultSchema, "POST", `/exec/${encodeURIComponent(id)}/kill`, undefined, "kill");
    } catch (err) {
      if (err instanceof AppError && err.code === "not_found") return null;
      throw err;
    }
  }

  async readFile(path: string): Promise<string> {
    const file = await this.json(FileReadResponseSchema, "GET", `/files?${new URLSearchParams({ path })}`, undefined, "read");
    return file.content;
  }

  async writeFile(path: string, content: string): Promise<void> {
    await this.json(FileWriteResponseSchema, "PUT", "/files", { path, content }, "write");
  }

  async listFiles(path: string, opts: { recursive?: boolean } = {}): Promise<FileEntry[]> {
    const query = new URLSearchParams({ path, recursive: opts.recursive ? "true" : "false" });
    return (await this.json(FileListResponseSchema, "GET", `/files/list?${query}`, undefined, "list")).entries;
  }

  editFile(req: FileEditRequest): Promise<FileEditResponse> {
    return this.json(FileEditResponseSchema, "POST", "/files/edit", req, "edit");
  }

  snapshot(req: SnapshotRequest = {}): Promise<Snapshot> {
    return this.json(SnapshotSchema, "POST", "/workspace/snapshot", req, "snapshot");
  }

  diff(from: Snapshot, to: Snapshot, opts: DiffOptions = {}): Promise<Diff> {
    return this.json(DiffSchema, "POST", "/workspace/diff", { from, to, ...opts }, "diff");
  }

  rollback(snapshot: Snapshot): Promise<RollbackResponse> {
    return this.json(RollbackResponseSchema, "POST", "/workspace/rollback", { snapshot }, "rollback");
  }

  async health(): Promise<HealthResponse> {
    const res = await this.send("GET", "/health", undefined, undefined, false);
    return parseBody(HealthResponseSchema, await res.json().catch(() => null), "health response");
  }

  /** Hard delete: kills every process of the workspace and removes its files, home and snapshots. */
  deleteWorkspace(): Promise<WorkspaceDeleteResponse> {
    return this.json(WorkspaceDeleteResponseSchema, "DELETE", "/workspace", undefined, "workspace delete");
  }

  /** The same sandbox, with a run's network policy and limits applied to every exec that does not set its own. */
  forRun(defaults: ExecDefaults): SandboxClient {
    return new SandboxClient({ ...this.opts, execDefaults: { ...this.opts.execDefaults, ...defaults } });
  }
}

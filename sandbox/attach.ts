import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { ExecResult, ExecStreamEvent, ResumePoint } from "../src/core/sandbox-protocol";
import { sendError, sendJson } from "./http";

/**
 * Execs that a client can come back to. The link between the Worker and the sandbox can drop at any moment: before
 * the request arrives, after the process started but before the answer left, or in the middle of the stream. An exec
 * carries an id, so the client retries with the same id and the same request, and the registry answers from the
 * process it already has: a running exec gets the new connection (output replayed from the client's resume point,
 * then live), one that ended a moment ago answers with its recorded result. Nothing runs twice.
 *
 * A client that goes away is given `graceMs` to come back; after that the process is abandoned (killed), so a
 * Worker that is really gone still takes its process with it.
 */

export type RegistryOptions = {
  /** How long a running exec waits for its client to reattach before it is killed. */
  graceMs: number;
  /** How long an ended exec's result is kept for a client whose answer was lost. */
  resultTtlMs: number;
  /** Upper bound of the output kept for ended execs; the oldest results go first. */
  maxRetainedBytes: number;
  heartbeatMs: number;
  /** Kills a running exec whose client did not come back. */
  abandon: (workspace: string, id: string) => void;
};

/** One connection listening to an exec: NDJSON lines (stream) or one JSON result at the end. */
class Attachment {
  private heartbeat: NodeJS.Timeout | undefined;
  opened = false;

  constructor(
    readonly res: ServerResponse,
    readonly stream: boolean,
    private readonly resume: ResumePoint,
    private readonly heartbeatMs: number,
  ) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  /** Headers, `started`, then whatever output the client has not seen yet. */
  open(id: string, pid: number | null, out: { stdout: string; stderr: string }): void {
    if (!this.stream || this.opened || this.closed) return;
    this.opened = true;
    this.res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" });
    this.write({ type: "started", id, pid });
    for (const which of ["stdout", "stderr"] as const) {
      const rest = out[which].slice(this.resume[which]);
      if (rest) this.write({ type: which, data: rest });
    }
    this.heartbeat = setInterval(() => this.write({ type: "heartbeat" }), this.heartbeatMs);
  }

  write(event: ExecStreamEvent): void {
    if (!this.opened || this.closed) return;
    this.res.write(`${JSON.stringify(event)}\n`);
    this.heartbeat?.refresh();
  }

  finish(result: ExecResult): void {
    clearInterval(this.heartbeat);
    if (this.closed) return;
    if (!this.stream) return sendJson(this.res, 200, result);
    this.write({ type: "exit", ...result });
    this.res.end();
  }

  fail(err: unknown): void {
    clearInterval(this.heartbeat);
    if (this.closed) return;
    if (this.res.headersSent) this.res.end();
    else sendError(this.res, err);
  }

  /** Replaced by a newer connection: this one is stale (its client retried), so it is cut. */
  drop(): void {
    this.stop();
    if (!this.closed) this.res.destroy();
  }

  /** The connection is gone: no more heartbeats. */
  stop(): void {
    clearInterval(this.heartbeat);
  }
}

class Entry {
  pid: number | null = null;
  started = false;
  out = { stdout: "", stderr: "" };
  result: ExecResult | null = null;
  attachment: Attachment | null = null;
  detachTimer: NodeJS.Timeout | undefined;
  expiry: NodeJS.Timeout | undefined;
  constructor(
    readonly workspace: string,
    readonly id: string,
    readonly fingerprint: string,
  ) {}
  get retainedBytes(): number {
    return this.result ? this.result.stdout.length + this.result.stderr.length : 0;
  }
}

/** The request an id stands for, without the transport's fields: a retry must ask for exactly the same thing. */
export function execFingerprint(spec: unknown): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export class ExecRegistry {
  private readonly entries = new Map<string, Entry>();
  private retained = 0;

  constructor(private readonly opts: RegistryOptions) {}

  get(workspace: string, id: string): Entry | undefined {
    return this.entries.get(`${workspace}/${id}`);
  }

  /** A new exec, with the connection that asked for it attached. */
  create(workspace: string, id: string, fingerprint: string, res: ServerResponse, stream: boolean, resume: ResumePoint): Entry {
    const entry = new Entry(workspace, id, fingerprint);
    this.entries.set(`${workspace}/${id}`, entry);
    this.attach(entry, res, stream, resume);
    return entry;
  }

  /** Hands the exec to a (new) connection: the previous one, if any, is cut; a pending kill for lack of a client is off. */
  attach(entry: Entry, res: ServerResponse, stream: boolean, resume: ResumePoint): void {
    clearTimeout(entry.detachTimer);
    entry.attachment?.drop();
    const attachment = new Attachment(res, stream, resume, this.opts.heartbeatMs);
    entry.attachment = attachment;
    res.on("close", () => this.detached(entry, attachment));
    // The client may already have left (while its body was read): its close event is gone, so count it now.
    if (!res.socket || res.socket.destroyed) this.detached(entry, attachment);
    if (entry.result) {
      attachment.open(entry.id, entry.pid, { stdout: entry.result.stdout, stderr: entry.result.stderr });
      attachment.finish(entry.result);
    } else if (entry.started) {
      attachment.open(entry.id, entry.pid, entry.out);
    }
  }

  started(entry: Entry, pid: number | null): void {
    entry.started = true;
    entry.pid = pid;
    entry.attachment?.open(entry.id, pid, entry.out);
  }

  chunk(entry: Entry, which: "stdout" | "stderr", data: string): void {
    entry.out[which] += data;
    entry.attachment?.write({ type: which, data });
  }

  finished(entry: Entry, result: ExecResult): void {
    clearTimeout(entry.detachTimer);
    entry.result = result;
    entry.out = { stdout: "", stderr: "" };
    entry.attachment?.finish(result);
    this.retained += entry.retainedBytes;
    entry.expiry = setTimeout(() => this.remove(entry), this.opts.resultTtlMs);
    entry.expiry.unref();
    this.trim();
  }

  /** The process never started (bad cwd, a network policy this sandbox cannot enforce …): the id is free again. */
  failed(entry: Entry, err: unknown): void {
    clearTimeout(entry.detachTimer);
    entry.attachment?.fail(err);
    this.entries.delete(`${entry.workspace}/${entry.id}`);
  }

  /** Hard delete: nothing of the workspace is kept. */
  forgetWorkspace(workspace: string): void {
    for (const entry of [...this.entries.values()]) if (entry.workspace === workspace) this.remove(entry);
  }

  clear(): void {
    for (const entry of [...this.entries.values()]) this.remove(entry);
  }

  private detached(entry: Entry, attachment: Attachment): void {
    attachment.stop();
    if (entry.attachment !== attachment || entry.result) return;
    entry.attachment = null;
    clearTimeout(entry.detachTimer);
    entry.detachTimer = setTimeout(() => {
      if (!entry.attachment && !entry.result) this.opts.abandon(entry.workspace, entry.id);
    }, this.opts.graceMs);
    entry.detachTimer.unref();
  }

  private remove(entry: Entry): void {
    entry.attachment?.stop();
    clearTimeout(entry.detachTimer);
    clearTimeout(entry.expiry);
    if (this.entries.get(`${entry.workspace}/${entry.id}`) !== entry) return;
    this.entries.delete(`${entry.workspace}/${entry.id}`);
    this.retained -= entry.retainedBytes;
  }

  private trim(): void {
    if (this.retained <= this.opts.maxRetainedBytes) return;
    for (const entry of [...this.entries.values()]) {
      if (this.retained <= this.opts.maxRetainedBytes) break;
      if (entry.result) this.remove(entry);
    }
  }
}

export type { Entry as ExecEntry };

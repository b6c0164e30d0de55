import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import { AppError } from "../src/core/errors";
import { DEFAULT_MAX_OUTPUT_BYTES, type ExecRequestBody, type KillResult } from "../src/core/sandbox-protocol";
import type { ExecResult } from "../src/providers/types";

/**
 * The process table: spawns commands in their own process group (detached) so a timeout or kill reaches every
 * process the command started, caps captured output, and keeps running processes addressable by id.
 */

export type ExecListener = {
  onStarted?: (id: string, pid: number | null) => void;
  onChunk?: (stream: "stdout" | "stderr", data: string) => void;
};

export type ExecSpec = Omit<ExecRequestBody, "cwd" | "stream"> & { cwd: string };

const FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** After the group leader exits we wait this long for the pipes to close before giving up on stragglers. */
const CLOSE_AFTER_EXIT_MS = 2_000;

/** A minimal environment: the server's own (token included) never leaks into commands. */
export function buildEnv(requestEnv: Record<string, string> = {}): Record<string, string> {
  const basePath = process.env.PATH ?? FALLBACK_PATH;
  const env: Record<string, string> = {
    PATH: basePath,
    HOME: process.env.HOME ?? "/tmp",
    LANG: "C.UTF-8",
    TERM: "dumb",
  };
  for (const [key, value] of Object.entries(requestEnv)) env[key] = value;
  // `PATH=/fake/bin:$PATH` in a request prefixes the server's PATH instead of replacing it.
  env.PATH = env.PATH!.replace(/\$\{PATH\}|\$PATH\b/g, basePath);
  return env;
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

class RunningProcess {
  readonly startedAt = performance.now();
  readonly done: Promise<ExecResult>;
  killed = false;
  private timedOut = false;
  private truncated = false;
  private budget: number;
  private stdout = "";
  private stderr = "";
  private exitCode: number | null = null;
  private exitSignal: string | null = null;
  private killTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(readonly id: string, readonly child: ChildProcess, spec: ExecSpec, private readonly listener: ExecListener, private readonly graceMs: number) {
    this.budget = spec.max_output_bytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.done = new Promise((resolveDone) => this.wire(resolveDone, spec));
  }

  private wire(resolveDone: (r: ExecResult) => void, spec: ExecSpec): void {
    const { child } = this;
    const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    const take = (stream: "stdout" | "stderr", buf: Buffer) => {
      if (buf.length > this.budget) {
        this.truncated = true;
        buf = buf.subarray(0, this.budget);
      }
      this.budget -= buf.length;
      if (buf.length === 0) return;
      const text = decoders[stream].write(buf);
      if (text === "") return;
      this[stream] += text;
      this.listener.onChunk?.(stream, text);
    };
    child.stdout?.on("data", (b: Buffer) => take("stdout", b));
    child.stderr?.on("data", (b: Buffer) => take("stderr", b));

    const finish = () => {
      if (this.finished) return;
      this.finished = true;
      clearTimeout(this.killTimer);
      clearTimeout(this.timeoutTimer);
      for (const stream of ["stdout", "stderr"] as const) {
        const rest = this.truncated ? "" : decoders[stream].end();
        if (rest) {
          this[stream] += rest;
          this.listener.onChunk?.(stream, rest);
        }
      }
      resolveDone(this.result());
    };

    child.on("error", (err) => {
      // Spawn failures (missing program, bad cwd) look like a shell's "command not found".
      this.exitCode = 127;
      this.stderr += `${err.message}\n`;
      finish();
    });
    child.on("exit", (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
      // Background children of the command die with it; otherwise they would hold the pipes open.
      signalGroup(child.pid, "SIGKILL");
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, CLOSE_AFTER_EXIT_MS).unref();
    });
    child.on("close", finish);

    if (spec.timeout_ms) {
      this.timeoutTimer = setTimeout(() => {
        this.timedOut = true;
        this.terminate();
      }, spec.timeout_ms);
    }
  }

  /** SIGTERM to the whole group, SIGKILL after the grace period if anything is still there. */
  terminate(): void {
    if (this.finished) return;
    signalGroup(this.child.pid, "SIGTERM");
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => signalGroup(this.child.pid, "SIGKILL"), this.graceMs);
  }

  result(): ExecResult {
    return {
      id: this.id,
      exit_code: this.exitCode,
      signal: this.exitSignal,
      duration_ms: Math.round(performance.now() - this.startedAt),
      stdout: this.stdout,
      stderr: this.stderr,
      truncated: this.truncated,
      timed_out: this.timedOut,
      killed: this.killed,
    };
  }
}

export class ProcessTable {
  private readonly running = new Map<string, RunningProcess>();

  constructor(private readonly graceMs = 1_500) {}

  /** Ids are scoped to a workspace: one workspace can neither see nor kill another's processes. */
  start(workspace: string, spec: ExecSpec, listener: ExecListener = {}): { id: string; done: Promise<ExecResult> } {
    const id = spec.id ?? `exec_${randomUUID().replace(/-/g, "")}`;
    const key = `${workspace}/${id}`;
    if (this.running.has(key)) throw new AppError("already_exists", `an exec with id ${id} is still running`, { id });
    const [file, argv] = spec.args ? [spec.command, spec.args] : ["/bin/sh", ["-c", spec.command]];
    const child = spawn(file, argv, {
      cwd: spec.cwd,
      env: buildEnv(spec.env),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = new RunningProcess(id, child, spec, listener, this.graceMs);
    this.running.set(key, proc);
    listener.onStarted?.(id, child.pid ?? null);
    const done = proc.done.finally(() => this.running.delete(key));
    return { id, done };
  }

  /** Kills a running exec; null when no exec with that id is running. */
  async kill(workspace: string, id: string): Promise<KillResult | null> {
    const proc = this.running.get(`${workspace}/${id}`);
    if (!proc) return null;
    proc.killed = true;
    proc.terminate();
    const result = await proc.done;
    return { id, exit_code: result.exit_code, signal: result.signal, duration_ms: result.duration_ms };
  }

  /** Marks an exec killed and terminates it without waiting (client went away). */
  abandon(workspace: string, id: string): void {
    const proc = this.running.get(`${workspace}/${id}`);
    if (!proc) return;
    proc.killed = true;
    proc.terminate();
  }

  killAll(): void {
    for (const proc of this.running.values()) signalGroup(proc.child.pid, "SIGKILL");
  }
}

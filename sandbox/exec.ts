import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import { AppError } from "../src/core/errors";
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type ExecRequestBody,
  type ExecResult,
  type KillResult,
  type NetworkPolicy,
  type ResourceLimit,
  type SandboxLimits,
} from "../src/core/sandbox-protocol";
import { jailArgv, JAIL_HOME, JAIL_RUNTIME, JAIL_WORKSPACE, type Isolation } from "./isolation";
import { RunCgroup, type CgroupSupport } from "./cgroups";
import { effectiveLimits, limitFromExit, type Watchdog } from "./limits";
import { prepareNetwork, type PreparedNetwork } from "./network";
import { toJailPath, type WorkspaceInfo } from "./paths";

/**
 * The process table: starts every command through the jail (isolation.ts) in its own process group (detached), so
 * a timeout or kill reaches the whole jail (bubblewrap tears the PID namespace down with it), caps captured output,
 * enforces resource bounds with the watchdog, and keeps running processes addressable by id.
 */

export type ExecListener = {
  onStarted?: (id: string, pid: number | null) => void;
  onChunk?: (stream: "stdout" | "stderr", data: string) => void;
};

/** What the table runs: a wire request with a resolved cwd, plus (for the server's own jailed work) stdin. */
export type ExecSpec = Omit<ExecRequestBody, "cwd" | "stream" | "resume"> & { cwd: string; stdin?: string };

/** Runs a command the table does not need to track (git for snapshots): same jail, same limits, a timeout. */
export type JailRunner = (ws: WorkspaceInfo, spec: ExecSpec) => Promise<ExecResult>;

const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** After the group leader exits we wait this long for the pipes to close before giving up on stragglers. */
const CLOSE_AFTER_EXIT_MS = 2_000;
const TERM_REPEAT_MS = 100;

/**
 * A minimal environment: the server's own (token included) never leaks into commands. In a jail the system PATH
 * and the jail's home; without one, the server's PATH and a home inside the workspace's private folder.
 */
export function buildEnv(requestEnv: Record<string, string> = {}, jailed = true, homeDir = JAIL_HOME): Record<string, string> {
  const basePath = jailed ? SYSTEM_PATH : (process.env.PATH ?? SYSTEM_PATH);
  const env: Record<string, string> = {
    PATH: basePath,
    HOME: homeDir,
    TMPDIR: "/tmp",
    USER: "sandbox",
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

const SIGNALS = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/**
 * bubblewrap reports a command killed by signal n as exit 128 + n, and a program it cannot start as exit 1 with
 * "bwrap: execvp"; turn both back into what a shell-less spawn would report.
 */
function fromJailStatus(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): { code: number | null; signal: string | null } {
  if (signal || code === null) return { code, signal };
  if (code === 1 && /^bwrap: execvp /m.test(stderr)) return { code: 127, signal: null };
  const bySignal = code > 128 ? SIGNALS.get(code - 128) : undefined;
  return bySignal ? { code: null, signal: bySignal } : { code, signal: null };
}

/** Signals every descendant of `pid` (not `pid` itself), from one pass over /proc. */
async function signalDescendants(pid: number | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!pid) return;
  const children = new Map<number, number[]>();
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => null);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    stack.push(...(children.get(next) ?? []));
    try {
      process.kill(next, signal);
    } catch {
      // Gone already.
    }
  }
}

class RunningProcess {
  readonly startedAt = performance.now();
  readonly done: Promise<ExecResult>;
  /** `done` plus the table's bookkeeping: once it resolves, the id is free again. */
  settled!: Promise<ExecResult>;
  killed = false;
  private timedOut = false;
  private truncated = false;
  private limit: ResourceLimit | null = null;
  private budget: number;
  private stdout = "";
  private stderr = "";
  private exitCode: number | null = null;
  private exitSignal: string | null = null;
  private killTimer: NodeJS.Timeout | undefined;
  private termTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
    spec: ExecSpec,
    private readonly listener: ExecListener,
    private readonly graceMs: number,
    private readonly jailed: boolean,
  ) {
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
      clearInterval(this.termTimer);
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
      const status = this.jailed ? fromJailStatus(code, signal, this.stderr) : { code, signal };
      this.exitCode = status.code;
      this.exitSignal = status.signal;
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

  /** A resource bound was hit: the jail goes at once (a fork bomb or a memory hog gets no grace period). */
  exceed(limit: ResourceLimit): void {
    if (this.finished || this.limit) return;
    this.limit = limit;
    signalGroup(this.child.pid, "SIGKILL");
  }

  /**
   * SIGTERM to the command (in a jail: to every process inside it, since bubblewrap itself would just die and take
   * them down without a chance to clean up), SIGKILL to the whole group after the grace period.
   */
  terminate(): void {
    if (this.finished) return;
    if (this.jailed) {
      // Repeated until the grace period ends: a jail still being set up has no command to signal yet. The grace
      // starts once the first SIGTERM is out: on a busy machine the /proc walk that finds the jail's processes can
      // itself take longer than a short grace, and the command would get SIGKILL without ever seeing SIGTERM.
      clearInterval(this.termTimer);
      this.termTimer = setInterval(() => void signalDescendants(this.child.pid, "SIGTERM"), TERM_REPEAT_MS);
      void signalDescendants(this.child.pid, "SIGTERM").finally(() => this.killAfterGrace());
    } else {
      signalGroup(this.child.pid, "SIGTERM");
      this.killAfterGrace();
    }
  }

  private killAfterGrace(): void {
    if (this.finished) return;
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      clearInterval(this.termTimer);
      signalGroup(this.child.pid, "SIGKILL");
    }, this.graceMs);
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
      limit_exceeded: this.limit ?? limitFromExit(this.exitCode, this.exitSignal),
    };
  }
}

export type ProcessTableOptions = {
  isolation: Isolation;
  watchdog: Watchdog;
  /** Control groups for memory and process bounds, where the server may create them. */
  cgroups: CgroupSupport | null;
  serverLimits: Required<SandboxLimits>;
  defaultNetwork: NetworkPolicy;
  runtimeRoot: string;
  graceMs?: number;
};

type Launch = {
  file: string;
  args: string[];
  env: Record<string, string>;
  limits: Required<SandboxLimits>;
  network: PreparedNetwork | null;
  cgroup: RunCgroup | null;
};

export class ProcessTable {
  private readonly running = new Map<string, RunningProcess>();
  private readonly starting = new Map<string, { killed: boolean; process: Promise<RunningProcess | null> }>();
  private readonly graceMs: number;

  constructor(private readonly opts: ProcessTableOptions) {
    this.graceMs = opts.graceMs ?? 1_500;
  }

  /** The program, arguments and environment that run `spec` for `ws`: through the jail when isolation is on. */
  private async launch(ws: WorkspaceInfo, spec: ExecSpec, id: string): Promise<Launch> {
    const limits = effectiveLimits(this.opts.serverLimits, spec.limits);
    const policy = spec.network ?? this.opts.defaultNetwork;
    const [file, argv] = spec.args ? [spec.command, spec.args] : ["/bin/sh", ["-c", spec.command]];
    const iso = this.opts.isolation;
    if (!iso.enabled) {
      if (policy !== "all" && spec.network !== undefined) {
        throw new AppError(
          "dependency_not_available",
          'this sandbox has no isolation, so it cannot enforce a network policy other than "all"',
          { isolation: iso.info },
        );
      }
      return { file, args: argv, env: buildEnv(spec.env, false, ws.homeDir), limits, network: null, cgroup: null };
    }
    const cgroup = this.opts.cgroups ? await RunCgroup.create(this.opts.cgroups, `${ws.id}-${id}`, limits) : null;
    const network = await prepareNetwork(policy, this.opts.runtimeRoot, randomUUID().replace(/-/g, "").slice(0, 16));
    const env = { ...buildEnv(spec.env), ...(network?.env ?? {}) };
    const mounts = [
      { src: ws.realDir, dest: JAIL_WORKSPACE, readOnly: false },
      { src: ws.homeDir, dest: JAIL_HOME, readOnly: false },
      ...(network ? [{ src: network.runtimeDir, dest: JAIL_RUNTIME, readOnly: true }] : []),
      ...iso.readOnlyPaths.filter((p) => existsSync(p)).map((p) => ({ src: p, dest: p, readOnly: true })),
    ];
    const jail = jailArgv(iso, {
      mounts,
      cwd: toJailPath(ws, spec.cwd),
      env,
      uid: ws.uid ?? 0,
      network: policy,
      limits,
      argv: network ? [...network.entry, file, ...argv] : [file, ...argv],
    });
    if (!cgroup) return { ...jail, env: {}, limits, network, cgroup };
    const [entry, ...entryArgs] = cgroup.entry();
    return { file: entry!, args: [...entryArgs, jail.file, ...jail.args], env: {}, limits, network, cgroup };
  }

  /** Ids are scoped to a workspace: one workspace can neither see nor kill another's processes. */
  async start(ws: WorkspaceInfo, spec: ExecSpec, listener: ExecListener = {}): Promise<{ id: string; done: Promise<ExecResult> }> {
    const id = spec.id ?? `exec_${randomUUID().replace(/-/g, "")}`;
    const key = `${ws.id}/${id}`;
    if (this.running.has(key) || this.starting.has(key))
      throw new AppError("already_exists", `an exec with id ${id} is still running`, { id });
    // Setting up a jail takes a moment; a kill that arrives meanwhile is kept and applied once the process exists.
    let registered!: (proc: RunningProcess | null) => void;
    const ticket = { killed: false, process: new Promise<RunningProcess | null>((r) => (registered = r)) };
    this.starting.set(key, ticket);
    let launch: Launch;
    try {
      launch = await this.launch(ws, spec, id);
    } catch (err) {
      registered(null);
      throw err;
    } finally {
      this.starting.delete(key);
    }
    const child = spawn(launch.file, launch.args, {
      // The jail sets its own working directory; the host-side cwd only matters without isolation.
      cwd: this.opts.isolation.enabled ? "/" : spec.cwd,
      env: this.opts.isolation.enabled ? { PATH: SYSTEM_PATH } : launch.env,
      detached: true,
      stdio: [spec.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (spec.stdin !== undefined) {
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(spec.stdin);
    }
    const proc = new RunningProcess(id, child, spec, listener, this.graceMs, this.opts.isolation.enabled);
    this.running.set(key, proc);
    const unwatch = this.opts.isolation.enabled
      ? this.opts.watchdog.watch({
          uid: ws.uid,
          workspaceDir: ws.realDir,
          limits: launch.limits,
          cgroup: launch.cgroup,
          exceed: (limit) => proc.exceed(limit),
        })
      : () => undefined;
    listener.onStarted?.(id, child.pid ?? null);
    registered(proc);
    if (ticket.killed) {
      proc.killed = true;
      proc.terminate();
    }
    const done = proc.done
      .then(async (result) => {
        // The kernel may have ended it (OOM killer) between two watchdog ticks: its counters say so.
        const limit = result.limit_exceeded ?? (await launch.cgroup?.exceeded()) ?? null;
        return { ...result, limit_exceeded: limit };
      })
      .finally(() => {
        unwatch();
        this.running.delete(key);
        void launch.network?.close();
        void launch.cgroup?.remove();
      });
    proc.settled = done;
    return { id, done };
  }

  /** Runs to completion without an id in the table (git for snapshots): same jail, no network. */
  async run(ws: WorkspaceInfo, spec: ExecSpec): Promise<ExecResult> {
    const { done } = await this.start(ws, { ...spec, network: "none", id: `internal_${randomUUID().replace(/-/g, "")}` });
    return done;
  }

  /** Kills a running exec; null when no exec with that id is running. */
  async kill(workspace: string, id: string): Promise<KillResult | null> {
    const ticket = this.starting.get(`${workspace}/${id}`);
    if (ticket) ticket.killed = true;
    const proc = this.running.get(`${workspace}/${id}`) ?? (await ticket?.process) ?? null;
    if (!proc) return null;
    proc.killed = true;
    proc.terminate();
    const result = await proc.settled;
    return { id, exit_code: result.exit_code, signal: result.signal, duration_ms: result.duration_ms };
  }

  /** Marks an exec killed and terminates it without waiting (client went away). */
  abandon(workspace: string, id: string): void {
    const ticket = this.starting.get(`${workspace}/${id}`);
    if (ticket) ticket.killed = true;
    const proc = this.running.get(`${workspace}/${id}`);
    if (!proc) return;
    proc.killed = true;
    proc.terminate();
  }

  /** Kills every process of a workspace at once and waits for them to be gone (hard delete). */
  async killWorkspace(workspace: string): Promise<number> {
    const procs = [...this.running.entries()].filter(([key]) => key.startsWith(`${workspace}/`)).map(([, p]) => p);
    for (const proc of procs) {
      proc.killed = true;
      signalGroup(proc.child.pid, "SIGKILL");
    }
    await Promise.all(procs.map((p) => p.settled));
    return procs.length;
  }

  killAll(): void {
    for (const proc of this.running.values()) signalGroup(proc.child.pid, "SIGKILL");
  }
}

import { lstat, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ResourceLimit, SandboxLimits } from "../src/core/sandbox-protocol";
import type { RunCgroup } from "./cgroups";

/**
 * Resource bounds. rlimits (set in isolation.ts) are the hard backstop per process; this watchdog enforces the
 * aggregate bounds (processes and memory of the workspace's user, size of the workspace) and names the one
 * that was hit, so the run ends with a clear error instead of a mysterious crash.
 */

export const DEFAULT_LIMITS: Required<SandboxLimits> = {
  max_processes: 512,
  max_memory_bytes: 4 * 1024 ** 3,
  max_cpu_seconds: 3_600,
  max_workspace_bytes: 10 * 1024 ** 3,
  max_file_bytes: 2 * 1024 ** 3,
};

const ENV_NAMES: Record<keyof SandboxLimits, string> = {
  max_processes: "SANDBOX_MAX_PROCESSES",
  max_memory_bytes: "SANDBOX_MAX_MEMORY_BYTES",
  max_cpu_seconds: "SANDBOX_MAX_CPU_SECONDS",
  max_workspace_bytes: "SANDBOX_MAX_WORKSPACE_BYTES",
  max_file_bytes: "SANDBOX_MAX_FILE_BYTES",
};

/** Server defaults from the environment (positive integers), over the built-in ones. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): Required<SandboxLimits> {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof SandboxLimits, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
    limits[key] = value;
  }
  return limits;
}

/** A run may lower the server's bounds, never raise them. */
export function effectiveLimits(server: Required<SandboxLimits>, requested: SandboxLimits = {}): Required<SandboxLimits> {
  const out = { ...server };
  for (const key of Object.keys(out) as (keyof SandboxLimits)[]) {
    const asked = requested[key];
    if (asked !== undefined) out[key] = Math.min(asked, server[key]);
  }
  return out;
}

/** Exit statuses that mean a per-process rlimit ended the command (bwrap reports a signal as 128 + n). */
export function limitFromExit(code: number | null, signal: string | null): ResourceLimit | null {
  if (signal === "SIGXCPU" || code === 128 + 24) return "cpu_time";
  if (signal === "SIGXFSZ" || code === 128 + 25) return "file_size";
  return null;
}

type UserUsage = { processes: number; rssBytes: number };

/** Every process on the machine with its real uid and /proc status text (one pass; vanished ones are skipped). */
async function* processStatuses(): AsyncGenerator<{ pid: number; uid: number; status: string }> {
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(join("/proc", name, "status"), "utf8").catch(() => null);
    if (!status) continue;
    yield { pid: Number(name), uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1), status };
  }
}

/** Processes (threads count: RLIMIT_NPROC counts them) and resident memory per uid, from one pass over /proc. */
export async function usageByUid(uids: ReadonlySet<number>): Promise<Map<number, UserUsage>> {
  const usage = new Map<number, UserUsage>();
  for await (const { uid, status } of processStatuses()) {
    if (!uids.has(uid)) continue;
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const entry = usage.get(uid) ?? { processes: 0, rssBytes: 0 };
    entry.processes += threads;
    entry.rssBytes += rssKb * 1024;
    usage.set(uid, entry);
  }
  return usage;
}

/** Bytes in a folder (files and symlinks, each inode once), stopping early once past `stopAt`. */
export async function folderBytes(dir: string, stopAt: number): Promise<number> {
  let total = 0;
  const seen = new Set<number>();
  const stack = [dir];
  while (stack.length > 0 && total <= stopAt) {
    const current = stack.pop()!;
    for (const name of await readdir(current).catch(() => [] as string[])) {
      const info = await lstat(join(current, name)).catch(() => null);
      if (!info) continue;
      if (info.isDirectory()) stack.push(join(current, name));
      else if (!seen.has(info.ino)) {
        seen.add(info.ino);
        // Apparent size: a sparse file counts in full, which errs on the side of the limit.
        total += info.size;
      }
    }
  }
  return total;
}

export type Watched = {
  uid: number | null;
  workspaceDir: string;
  limits: Required<SandboxLimits>;
  /** The process tree's control group, when the kernel enforces memory and process bounds. */
  cgroup: RunCgroup | null;
  /** Ends the process because `limit` was exceeded. */
  exceed(limit: ResourceLimit): void;
};

/**
 * One timer for the whole server: each tick reads /proc once for every watched uid and measures each watched
 * workspace at most every `workspaceEveryMs`.
 */
export class Watchdog {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastWorkspaceCheck = 0;

  constructor(
    private readonly tickMs = 200,
    private readonly workspaceEveryMs = 1_000,
  ) {}

  watch(entry: Watched): () => void {
    this.watched.add(entry);
    this.timer ??= setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    return () => {
      this.watched.delete(entry);
      if (this.watched.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const entries = [...this.watched];
      const uids = new Set(entries.flatMap((e) => (e.uid === null ? [] : [e.uid])));
      const usage = uids.size > 0 ? await usageByUid(uids) : new Map<number, UserUsage>();
      for (const entry of entries) {
        const enforced = await entry.cgroup?.exceeded();
        if (enforced) {
          entry.exceed(enforced);
          continue;
        }
        const used = entry.uid === null ? undefined : usage.get(entry.uid);
        if (used && used.processes >= entry.limits.max_processes) entry.exceed("processes");
        else if (used && used.rssBytes > entry.limits.max_memory_bytes) entry.exceed("memory");
      }
      if (Date.now() - this.lastWorkspaceCheck >= this.workspaceEveryMs) {
        this.lastWorkspaceCheck = Date.now();
        for (const entry of entries) {
          if (!this.watched.has(entry)) continue;
          const bytes = await folderBytes(entry.workspaceDir, entry.limits.max_workspace_bytes);
          if (bytes > entry.limits.max_workspace_bytes) entry.exceed("workspace_size");
        }
      }
    } finally {
      this.ticking = false;
    }
  }
}

/** Kills whatever still runs as a workspace's user (hard delete; jails normally take their processes with them). */
export async function killUserProcesses(uid: number): Promise<number> {
  let killed = 0;
  for await (const entry of processStatuses()) {
    if (entry.uid !== uid) continue;
    try {
      process.kill(entry.pid, "SIGKILL");
      killed++;
    } catch {
      // Gone already.
    }
  }
  return killed;
}

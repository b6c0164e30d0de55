import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResourceLimit, SandboxLimits } from "../src/core/sandbox-protocol";

/**
 * Memory and process bounds through control groups, where the server may create them (it runs as root with a
 * writable cgroup v2 or v1 hierarchy, as in the container and on our machines). The kernel then enforces the
 * bound for the whole jail at once (the OOM killer inside the group; fork failing at pids.max) and counts the
 * event, so the run ends naming the bound that was hit. Without control groups the watchdog and rlimits do it.
 */

const GROUP = "asm-sandbox";

export type CgroupSupport = { version: 2; root: string } | { version: 1; memory: string; pids: string };

async function tryWritable(dir: string): Promise<boolean> {
  const probe = join(dir, `probe-${process.pid}`);
  try {
    await mkdir(probe, { recursive: true });
    await rmdir(probe);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Groups a killed server left behind (their processes died with it) are removed at the next start. Group names
 * begin with the pid of the server that made them, so servers sharing the hierarchy never remove each other's.
 */
async function removeStale(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const owner = Number(/^(\d+)-/.exec(entry.name)?.[1] ?? NaN);
      if (entry.isDirectory() && Number.isInteger(owner) && !alive(owner)) await rmdir(join(dir, entry.name)).catch(() => undefined);
    }
  }
}

/** Which hierarchy we may use, if any; the group folder is created once. */
export async function detectCgroups(): Promise<CgroupSupport | null> {
  const support = await detect();
  if (support) await removeStale(support.version === 2 ? [support.root] : [support.memory, support.pids]);
  return support;
}

async function detect(): Promise<CgroupSupport | null> {
  if (process.getuid?.() !== 0) return null;
  const unified = "/sys/fs/cgroup";
  if (existsSync(join(unified, "cgroup.controllers"))) {
    const controllers = await readFile(join(unified, "cgroup.controllers"), "utf8").catch(() => "");
    if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers)) return null;
    const root = join(unified, GROUP);
    if (!(await tryWritable(root))) return null;
    // Children of our group may use both controllers.
    const ok = await writeFile(join(root, "cgroup.subtree_control"), "+memory +pids").then(
      () => true,
      () => false,
    );
    return ok ? { version: 2, root } : null;
  }
  const memory = join(unified, "memory", GROUP);
  const pids = join(unified, "pids", GROUP);
  if (
    existsSync(join(unified, "memory")) &&
    existsSync(join(unified, "pids")) &&
    (await tryWritable(memory)) &&
    (await tryWritable(pids))
  ) {
    return { version: 1, memory, pids };
  }
  return null;
}

function counter(text: string, name: string): number {
  return Number(new RegExp(`^${name}\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
}

/** One process tree's group (one per exec). */
export class RunCgroup {
  private constructor(
    private readonly support: CgroupSupport,
    private readonly dirs: string[],
  ) {}

  static async create(support: CgroupSupport, runName: string, limits: Required<SandboxLimits>): Promise<RunCgroup> {
    const name = `${process.pid}-${runName}`;
    if (support.version === 2) {
      const dir = join(support.root, name);
      await mkdir(dir);
      await writeFile(join(dir, "memory.max"), String(limits.max_memory_bytes));
      await writeFile(join(dir, "memory.swap.max"), "0").catch(() => undefined);
      await writeFile(join(dir, "pids.max"), String(limits.max_processes));
      return new RunCgroup(support, [dir]);
    }
    const memory = join(support.memory, name);
    const pids = join(support.pids, name);
    await mkdir(memory);
    await mkdir(pids);
    await writeFile(join(memory, "memory.limit_in_bytes"), String(limits.max_memory_bytes));
    await writeFile(join(memory, "memory.memsw.limit_in_bytes"), String(limits.max_memory_bytes)).catch(() => undefined);
    await writeFile(join(pids, "pids.max"), String(limits.max_processes));
    return new RunCgroup(support, [memory, pids]);
  }

  /** A shell prefix that moves itself into the group, then execs the rest: nothing runs outside it. */
  entry(): string[] {
    const joins = this.dirs.map((dir) => `echo $$ > ${dir}/cgroup.procs`).join(" && ");
    return ["/bin/sh", "-c", `${joins} && exec "$@"`, "asm-cgroup"];
  }

  /** The bound the kernel enforced, if one was hit. */
  async exceeded(): Promise<ResourceLimit | null> {
    const read = (dir: string, file: string) => readFile(join(dir, file), "utf8").catch(() => "");
    if (this.support.version === 2) {
      const [dir] = this.dirs as [string];
      if (counter(await read(dir, "memory.events"), "oom_kill") > 0) return "memory";
      if (counter(await read(dir, "pids.events"), "max") > 0) return "processes";
      return null;
    }
    const [memory, pids] = this.dirs as [string, string];
    if (counter(await read(memory, "memory.oom_control"), "oom_kill") > 0) return "memory";
    if (counter(await read(pids, "pids.events"), "max") > 0) return "processes";
    return null;
  }

  /** Removes the group once its processes are gone (a few tries: the kernel frees it shortly after the last exit). */
  async remove(): Promise<void> {
    for (const dir of this.dirs) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const done = await rmdir(dir).then(
          () => true,
          (err: NodeJS.ErrnoException) => err.code === "ENOENT",
        );
        if (done) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

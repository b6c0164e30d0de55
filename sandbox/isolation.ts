import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import type { IsolationInfo, NetworkPolicy, SandboxLimits } from "../src/core/sandbox-protocol";

/**
 * The isolation contract's primitive: every process the server starts (commands, CLI agents, git) runs through
 * `jailArgv`, which wraps it in bubblewrap with its own user, PID, IPC, UTS, cgroup and network namespaces, a
 * read-only system, the workspace at `/workspace`, a private `/tmp` and a private home, as the workspace's own
 * unprivileged user, under rlimits. Where bubblewrap is missing the server still runs commands, and says so.
 */

/** The fixed path at which a command sees its session's workspace. */
export const JAIL_WORKSPACE = "/workspace";
export const JAIL_HOME = "/home/sandbox";
/** Where the allow-list proxy's socket and the bridge script appear inside the jail. */
export const JAIL_RUNTIME = "/run/asm";

/** Parts of the host system a command may read (the tools, libraries, certificates, the CLIs). */
const SYSTEM_PATHS = ["/usr", "/etc", "/opt/asm-tools"];
/** Top-level names that are usually symlinks into /usr on merged-/usr systems, or directories elsewhere. */
const SYSTEM_LINKS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/** /tmp is memory-backed; it never grows beyond this or the workspace limit, whichever is lower. */
const TMP_MAX_BYTES = 1024 * 1024 * 1024;

export type IsolationSettings = {
  /** `auto` uses bubblewrap when it works here; `bubblewrap` refuses to start without it. */
  mode: "auto" | "bubblewrap" | "none";
  /** Extra read-only paths visible at the same place inside the jail (for example a folder of fake CLIs). */
  readOnlyPaths: string[];
  defaultNetwork: NetworkPolicy;
  defaultLimits: Required<SandboxLimits>;
};

export type Isolation = {
  info: IsolationInfo;
  /** True when commands run under bubblewrap. */
  enabled: boolean;
  /** True when the server may switch to a per-workspace user (it runs as root). */
  switchUser: boolean;
  readOnlyPaths: string[];
};

function bwrapWorks(): string | null {
  const probe = spawnSync(
    "bwrap",
    ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
    {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 10_000,
    },
  );
  if (probe.error)
    return `bubblewrap is not installed (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}); install the Debian package "bubblewrap"`;
  if (probe.status !== 0) return `bubblewrap cannot create namespaces here: ${probe.stderr.toString().trim() || `exit ${probe.status}`}`;
  return null;
}

/** Detects what this machine can do and fixes the server's isolation for its lifetime. */
export function detectIsolation(settings: IsolationSettings): Isolation {
  const reason = settings.mode === "none" ? "isolation turned off (SANDBOX_ISOLATION=none)" : bwrapWorks();
  if (reason && settings.mode === "bubblewrap") throw new Error(`isolation is required but unavailable: ${reason}`);
  const enabled = reason === null;
  const switchUser = enabled && process.getuid?.() === 0;
  return {
    enabled,
    switchUser,
    readOnlyPaths: settings.readOnlyPaths,
    info: {
      mode: enabled ? "bubblewrap" : "none",
      distinct_user: switchUser,
      network_enforced: enabled,
      resource_bounds: "rlimits",
      reason,
      default_network: settings.defaultNetwork,
      default_limits: settings.defaultLimits,
    },
  };
}

/** A host folder shown inside the jail. */
export type Mount = { src: string; dest: string; readOnly: boolean };

export type JailSpec = {
  /** The workspace (read-write at /workspace), its home (/home/sandbox), the proxy folder, read-only tool folders. */
  mounts: Mount[];
  /** Working directory inside the jail (under /workspace). */
  cwd: string;
  env: Record<string, string>;
  uid: number;
  network: NetworkPolicy;
  limits: Required<SandboxLimits>;
  argv: string[];
};

function systemMounts(): string[] {
  const args: string[] = [];
  for (const path of SYSTEM_LINKS) {
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info) continue;
    if (info.isSymbolicLink()) args.push("--symlink", readlinkSync(path), path);
    else args.push("--ro-bind", path, path);
  }
  for (const path of SYSTEM_PATHS) if (existsSync(path)) args.push("--ro-bind", path, path);
  return args;
}

/** Every folder above a mount point, outermost first, so the command's user can walk down to the mount. */
function mountParents(mounts: Mount[]): string[] {
  const parents = new Set<string>();
  for (const { dest } of mounts) {
    const parts = dest.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) parents.add(`/${parts.slice(0, i).join("/")}`);
  }
  return [...parents].sort((a, b) => a.length - b.length);
}

/** Headroom of the per-process backstops over the aggregate bounds, so the bound itself is hit (and named) first. */
const NPROC_HEADROOM = 32;
const DATA_HEADROOM = 2;

/**
 * rlimits are the hard backstop: control groups (or the watchdog) enforce the aggregate bounds first and name
 * them; these stop what slips between two watchdog ticks.
 */
function rlimitArgs(limits: Required<SandboxLimits>): string[] {
  return [
    `--nproc=${limits.max_processes + NPROC_HEADROOM}`,
    // DATA, not AS: V8 (the CLIs are Node programs) reserves far more address space than it ever touches.
    `--data=${limits.max_memory_bytes * DATA_HEADROOM}`,
    // SIGXCPU at the soft limit (reported as cpu_time), SIGKILL a second later if it is ignored.
    `--cpu=${limits.max_cpu_seconds}:${limits.max_cpu_seconds + 1}`,
    `--fsize=${limits.max_file_bytes}`,
    "--nofile=4096",
    "--core=0",
  ];
}

/** The program and arguments that run `spec.argv` inside the jail. */
export function jailArgv(iso: Isolation, spec: JailSpec): { file: string; args: string[] } {
  const bwrap = [
    "bwrap",
    // Not the user namespace when root builds the jail (the command switches users itself, see below).
    ...(iso.switchUser ? ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"] : ["--unshare-all"]),
    ...(iso.switchUser && spec.network !== "all" ? ["--unshare-net"] : []),
    ...(!iso.switchUser && spec.network === "all" ? ["--share-net"] : []),
    "--die-with-parent",
    "--new-session",
    "--hostname",
    "sandbox",
    ...systemMounts(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // Folders bwrap makes itself are root's and 0700 unless told otherwise; the command's user must get through.
    "--perms",
    "1777",
    "--size",
    String(Math.min(spec.limits.max_workspace_bytes, TMP_MAX_BYTES)),
    "--tmpfs",
    "/tmp",
    ...mountParents(spec.mounts).flatMap((dir) => ["--perms", "0755", "--dir", dir]),
    ...spec.mounts.flatMap((m) => [m.readOnly ? "--ro-bind" : "--bind", m.src, m.dest]),
    "--chdir",
    spec.cwd,
    "--clearenv",
    ...Object.entries(spec.env).flatMap(([k, v]) => ["--setenv", k, v]),
    "--",
    // As root, the jail is built without a user namespace and the command drops to the workspace's user as its
    // first step: no capabilities (not even over its own namespaces), no way back (no_new_privs), and the mounts
    // come from root, so the user needs no right to the host paths they come from.
    ...(iso.switchUser
      ? [
          "setpriv",
          `--reuid=${spec.uid}`,
          `--regid=${spec.uid}`,
          "--clear-groups",
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--no-new-privs",
          "--",
        ]
      : []),
    ...spec.argv,
  ];
  const argv = ["prlimit", ...rlimitArgs(spec.limits), "--", ...bwrap];
  return { file: argv[0]!, args: argv.slice(1) };
}

import { chmod, lstat, mkdir, realpath, rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { AppError } from "../src/core/errors";
import { WORKSPACE_ID_PATTERN } from "../src/core/sandbox-protocol";
import { giveTo, giveTreeTo, UidAllocator } from "./identity";
import { JAIL_WORKSPACE } from "./isolation";

/**
 * Workspace confinement. Every path a request names is resolved against the workspace directory and refused
 * (403 forbidden) when it escapes it, lexically (`..`, absolute paths) or through symlinks (checked by realpath
 * on the deepest existing ancestor).
 */

export type Workspace = {
  id: string;
  dir: string;
  realDir: string;
  /** The workspace's private home (outside the workspace, kept between runs: CLIs keep their sessions there). */
  homeDir: string;
  /** The unprivileged user its commands run as; null when the server cannot switch users. */
  uid: number | null;
  /** True when its processes run in a jail (and see the workspace at /workspace). */
  jailed: boolean;
  /** Runs a program for the server (git) in this workspace's jail, with a timeout. */
  run: WorkspaceRunner;
};

/** A workspace without its runner (what the process table needs). */
export type WorkspaceInfo = Omit<Workspace, "run">;

export type WorkspaceRunner = (spec: {
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  timeout_ms: number;
  max_output_bytes?: number;
  stdin?: string;
}) => Promise<{
  exit_code: number | null;
  stdout: string;
  stderr: string;
  timed_out: boolean;
}>;

/** Beside the workspaces, under names a workspace id cannot take (ids never start with a dot). */
export const HOMES_DIR = ".asm-homes";

/**
 * The layout under the server's root: `<id>/` workspaces, `.asm-homes/<id>/` their homes, `.asm-snapshots/<id>/`
 * hash manifests (server-only). The root is searchable but not listable
 * by workspace users.
 */
export class Workspaces {
  private readonly uids: UidAllocator;
  private readonly ready: Promise<void>;
  private readonly opening = new Map<string, Promise<void>>();

  constructor(
    readonly root: string,
    private readonly jailed: boolean,
    private readonly switchUser: boolean,
    private readonly runner: (ws: WorkspaceInfo) => WorkspaceRunner,
  ) {
    this.uids = new UidAllocator(root);
    this.ready = (async () => {
      for (const dir of [root, join(root, HOMES_DIR)]) {
        await mkdir(dir, { recursive: true });
        await chmod(dir, 0o711);
      }
    })();
  }

  async open(id: string | undefined): Promise<Workspace> {
    if (!id || !WORKSPACE_ID_PATTERN.test(id)) {
      throw new AppError("validation_error", "header x-sandbox-workspace must match [A-Za-z0-9_-]{1,128}");
    }
    await this.ready;
    // One open at a time per workspace: concurrent first requests of a new workspace would each allocate a user
    // and hand the folder over in turn, leaving the first commands running as a user that no longer owns it.
    const previous = this.opening.get(id) ?? Promise.resolve();
    const mine = previous.then(() => this.openNow(id));
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.opening.set(id, settled);
    try {
      return await mine;
    } finally {
      if (this.opening.get(id) === settled) this.opening.delete(id);
    }
  }

  private async openNow(id: string): Promise<Workspace> {
    const dir = join(this.root, id);
    const homeDir = join(this.root, HOMES_DIR, id);
    const existing = await lstat(dir).catch(() => null);
    await mkdir(dir, { recursive: true });
    await mkdir(homeDir, { recursive: true });
    let uid: number | null = null;
    if (this.switchUser) {
      uid = existing && existing.uid !== 0 ? existing.uid : await this.uids.allocate(dir);
      // A new workspace, or one made before workspaces had users: hand it over once.
      if (!existing || existing.uid === 0) await giveTreeTo(dir, uid);
      if ((await lstat(homeDir)).uid !== uid) await giveTreeTo(homeDir, uid);
    }
    const ws = { id, dir, realDir: await realpath(dir), homeDir, uid, jailed: this.jailed };
    return { ...ws, run: this.runner(ws) };
  }

  /** Removes a workspace, its home and every server-side record of it (hash manifests). */
  async remove(id: string, extraDirs: string[]): Promise<boolean> {
    if (!WORKSPACE_ID_PATTERN.test(id)) throw new AppError("validation_error", "invalid workspace id");
    const dir = join(this.root, id);
    const info = await lstat(dir).catch(() => null);
    for (const path of [dir, join(this.root, HOMES_DIR, id), ...extraDirs]) await rm(path, { recursive: true, force: true });
    if (info && this.switchUser && info.uid !== 0) await this.uids.release(info.uid, dir);
    return info !== null;
  }
}

/** Hands what the server created inside a workspace to the workspace's user. */
export async function giveToWorkspace(ws: Workspace, paths: string[]): Promise<void> {
  for (const path of paths) await giveTo(path, ws.uid);
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function forbidden(requested: string): AppError {
  return new AppError("forbidden", `path escapes the workspace: ${requested}`, { path: requested });
}

/** Real location of `abs`, following symlinks as far as the path exists; a dangling symlink is refused. */
async function realLocation(abs: string, requested: string): Promise<string> {
  let current = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(current), ...rest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    // realpath failed: a dangling symlink would let a write land wherever it points, so refuse it.
    const stat = await lstat(current).catch(() => null);
    if (stat?.isSymbolicLink()) throw forbidden(requested);
    const parent = resolve(current, "..");
    if (parent === current) return join(current, ...rest);
    rest.unshift(current.slice(parent.length).replace(/^[\\/]+/, ""));
    current = parent;
  }
}

/** Resolves a request path (relative to the workspace, or absolute inside it) to a safe absolute path. */
export async function resolveInside(ws: Workspace, requested: string): Promise<string> {
  if (requested.includes("\0")) throw new AppError("validation_error", "path contains a NUL byte");
  const abs = isAbsolute(requested) ? resolve(fromJailPath(ws, requested)) : resolve(ws.dir, requested);
  if (!isInside(ws.dir, abs) && !isInside(ws.realDir, abs)) throw forbidden(requested);
  const real = await realLocation(abs, requested);
  if (!isInside(ws.realDir, real)) throw forbidden(requested);
  return real;
}

/** Commands see the workspace at /workspace, so a path they print there names the same file here. */
export function fromJailPath(ws: Pick<Workspace, "dir" | "jailed">, requested: string): string {
  const normal = resolve(requested);
  if (!ws.jailed) return normal;
  if (normal === JAIL_WORKSPACE) return ws.dir;
  if (normal.startsWith(`${JAIL_WORKSPACE}/`)) return join(ws.dir, normal.slice(JAIL_WORKSPACE.length + 1));
  return normal;
}

/** Where a host path inside the workspace appears to a jailed process. */
export function toJailPath(ws: Pick<Workspace, "realDir">, abs: string): string {
  const rel = relative(ws.realDir, abs);
  return rel === "" ? JAIL_WORKSPACE : `${JAIL_WORKSPACE}/${rel.split(sep).join("/")}`;
}

/** Workspace-relative, `/`-separated form of an absolute path inside it (for responses). */
export function toRelative(ws: Workspace, abs: string): string {
  const rel = relative(ws.realDir, abs);
  return rel === "" ? "." : rel.split(sep).join("/");
}

import { lstat, mkdir, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { AppError } from "../src/core/errors";
import { WORKSPACE_ID_PATTERN } from "../src/core/sandbox-protocol";

/**
 * Workspace confinement. Every path a request names is resolved against the workspace directory and refused
 * (403 forbidden) when it escapes it, lexically (`..`, absolute paths) or through symlinks (checked by realpath
 * on the deepest existing ancestor).
 */

export type Workspace = { id: string; dir: string; realDir: string };

export async function openWorkspace(root: string, id: string | undefined): Promise<Workspace> {
  if (!id || !WORKSPACE_ID_PATTERN.test(id)) {
    throw new AppError("validation_error", "header x-sandbox-workspace must match [A-Za-z0-9_-]{1,128}");
  }
  const dir = join(resolve(root), id);
  await mkdir(dir, { recursive: true });
  return { id, dir, realDir: await realpath(dir) };
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
  const abs = isAbsolute(requested) ? resolve(requested) : resolve(ws.dir, requested);
  if (!isInside(ws.dir, abs) && !isInside(ws.realDir, abs)) throw forbidden(requested);
  const real = await realLocation(abs, requested);
  if (!isInside(ws.realDir, real)) throw forbidden(requested);
  return real;
}

/** Workspace-relative, `/`-separated form of an absolute path inside it (for responses). */
export function toRelative(ws: Workspace, abs: string): string {
  const rel = relative(ws.realDir, abs);
  return rel === "" ? "." : rel.split(sep).join("/");
}

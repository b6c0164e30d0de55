import { randomUUID } from "node:crypto";
import { cp, lstat, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { AppError } from "../src/core/errors";
import { capPatch, parseNameStatusZ, parseNumstatZ, summarizeDiff } from "../src/core/workspace/diff-summary";
import type { Diff, RollbackResponse, Snapshot } from "../src/core/sandbox-protocol";
import { git, GIT_TIMEOUT_MS, gitLine } from "./git";
import { fromJailPath, resolveInside, toJailPath, type Workspace } from "./paths";

/**
 * Git backend. A snapshot is a commit of the whole working tree, untracked files included, built in a
 * temporary index so HEAD, the real index and the working tree stay untouched; it is kept reachable under
 * refs/asm/snapshots/<sha>.
 */

export const SNAPSHOT_REF_PREFIX = "refs/asm/snapshots/";
export const SAFETY_REF_PREFIX = "refs/asm/safety/";

/** A path git printed (jail path when jailed) as a host path. */
function hostPath(ws: Workspace, base: string, printed: string): string {
  return isAbsolute(printed) ? fromJailPath(ws, printed) : resolve(base, printed);
}

/** The repository top level for `dir`, or null when `dir` is not inside a repository within the workspace. */
export async function gitTopLevel(ws: Workspace, dir: string): Promise<string | null> {
  const res = await git(ws, dir, ["rev-parse", "--show-toplevel"], { allowFailure: true }).catch(() => null);
  if (res?.code !== 0) return null;
  const top = hostPath(ws, dir, res.stdout.trim());
  return top === ws.realDir || top.startsWith(`${ws.realDir}/`) ? top : null;
}

async function requireTopLevel(ws: Workspace, dir: string, path: string): Promise<string> {
  const top = await gitTopLevel(ws, dir);
  if (!top) throw new AppError("validation_error", `not a git repository: ${path}`, { path });
  return top;
}

async function revParse(ws: Workspace, top: string, rev: string): Promise<string | null> {
  const res = await git(ws, top, ["rev-parse", "--verify", "-q", rev], { allowFailure: true });
  return res.code === 0 ? res.stdout.trim() : null;
}

/**
 * The repository's git folder as a host path, refused (403) unless it lies inside the workspace: a `.git` file
 * (`gitdir: …`) or link can name any folder the jail sees, and the same absolute path on the host is somewhere else.
 */
async function gitDirOf(ws: Workspace, top: string): Promise<string> {
  return resolveInside(ws, hostPath(ws, top, await gitLine(ws, top, ["rev-parse", "--git-dir"])));
}

/**
 * Runs `fn` with GIT_INDEX_FILE pointing at a fresh temporary index (seeded from `seedFrom` if given). It lives in
 * the repository's git folder, the one place both the server and the jailed git see.
 */
async function withTempIndex<T>(
  ws: Workspace,
  top: string,
  seedFrom: string | null,
  fn: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const index = join(await gitDirOf(ws, top), `asm-index-${randomUUID()}`);
  try {
    // Seeding keeps tracked-but-ignored files in the snapshot and lets git reuse its stat cache. The copy keeps the
    // index's own mtime: git trusts an entry's cached stat only when it is older than the index file (its "racy git"
    // rule), and git compares whole seconds, so a fresh mtime would make a file rewritten with the same size within
    // the second of the last `git add` look unchanged, and the snapshot would keep its old content.
    // Only a regular file seeds it, and a jailed workspace copies it itself, as its own user inside its jail: the
    // server (root) writes nothing there, so a folder swapped for a link meanwhile leads it nowhere. Without a seed
    // the snapshot is still whole (git adds every file).
    if (seedFrom && (await lstat(seedFrom).catch(() => null))?.isFile()) await seedIndex(ws, top, seedFrom, index);
    return await fn({ GIT_INDEX_FILE: ws.jailed ? toJailPath(ws, index) : index });
  } finally {
    await rm(index, { force: true });
    await rm(`${index}.lock`, { force: true });
  }
}

/** Copies the real index to the temporary one, keeping its mtime and never following a link (see withTempIndex). */
async function seedIndex(ws: Workspace, top: string, from: string, to: string): Promise<void> {
  if (!ws.jailed) {
    await cp(from, to, { preserveTimestamps: true, dereference: false }).catch(() => undefined);
    return;
  }
  await ws.run({
    command: "/bin/cp",
    args: ["--preserve=timestamps", "--no-dereference", "--", toJailPath(ws, from), toJailPath(ws, to)],
    cwd: top,
    timeout_ms: GIT_TIMEOUT_MS,
  });
}

/** Commits the working tree of the repository at `top` without touching HEAD or the index. */
async function captureTree(ws: Workspace, top: string, message: string): Promise<{ commit: string; tree: string; head: string | null }> {
  const head = await revParse(ws, top, "HEAD^{commit}");
  const indexPath = hostPath(ws, top, await gitLine(ws, top, ["rev-parse", "--git-path", "index"]));
  return withTempIndex(ws, top, indexPath, async (env) => {
    await git(ws, top, ["add", "-A", "--", "."], { env });
    const tree = await gitLine(ws, top, ["write-tree"], { env });
    const commit = await gitLine(ws, top, ["commit-tree", tree, ...(head ? ["-p", head] : []), "-m", message], { env });
    return { commit, tree, head };
  });
}

export async function gitSnapshot(ws: Workspace, path: string, label: string | null, refPrefix = SNAPSHOT_REF_PREFIX): Promise<Snapshot> {
  const dir = await resolveInside(ws, path);
  const top = await requireTopLevel(ws, dir, path);
  const { commit, tree, head } = await captureTree(ws, top, `asm snapshot${label ? `: ${label}` : ""}`);
  await git(ws, top, ["update-ref", `${refPrefix}${commit}`, commit]);
  const headTree = head ? await revParse(ws, top, `${head}^{tree}`) : null;
  const branch = await git(ws, top, ["symbolic-ref", "-q", "HEAD"], { allowFailure: true });
  return {
    backend: "git",
    path,
    ref: commit,
    label,
    captured_at: new Date().toISOString(),
    metadata: {
      head_ref: head,
      head_branch: branch.code === 0 ? branch.stdout.trim() : null,
      dirty: tree !== headTree,
      includes_untracked: true,
      tree,
      snapshot_ref: `${refPrefix}${commit}`,
    },
  };
}

async function requireCommit(ws: Workspace, top: string, ref: string): Promise<string> {
  const sha = await revParse(ws, top, `${ref}^{commit}`);
  if (!sha) throw new AppError("not_found", `snapshot ${ref} not found in this repository`, { ref });
  return sha;
}

export async function gitDiff(ws: Workspace, from: Snapshot, to: Snapshot, capturePatch: boolean, maxPatchBytes: number): Promise<Diff> {
  const top = await requireTopLevel(ws, await resolveInside(ws, to.path), to.path);
  const [a, b] = [await requireCommit(ws, top, from.ref), await requireCommit(ws, top, to.ref)];
  const base = ["diff", "--no-renames", "--no-ext-diff", "--no-color", "--no-textconv"];
  const numstat = parseNumstatZ((await git(ws, top, [...base, "-z", "--numstat", a, b])).stdout);
  const sets = parseNameStatusZ((await git(ws, top, [...base, "-z", "--name-status", a, b])).stdout);
  const metadata: Record<string, unknown> = {};
  let patch: string | null = null;
  if (capturePatch) {
    const capped = capPatch((await git(ws, top, [...base, a, b])).stdout, maxPatchBytes);
    patch = capped.patch;
    metadata.patch_bytes = capped.bytes;
    metadata.patch_truncated = capped.truncated;
  }
  return { backend: "git", from_ref: a, to_ref: b, ...summarizeDiff(sets, numstat), patch, metadata };
}

/** Files per `rm` call: far below ARG_MAX whatever the path lengths. */
const REMOVE_BATCH = 200;

/**
 * Removes files created since the snapshot, and folders they leave empty, inside the jail as the workspace's
 * user (never as the server: a path could lead through a link a running process just made).
 */
async function removeCreated(ws: Workspace, top: string, paths: string[]): Promise<void> {
  const script =
    'for p in "$@"; do rm -f -- "$p"; d=$(dirname -- "$p"); [ "$d" = . ] || rmdir -p --ignore-fail-on-non-empty -- "$d" 2>/dev/null; done; true';
  for (let i = 0; i < paths.length; i += REMOVE_BATCH) {
    const res = await ws.run({
      command: "/bin/sh",
      args: ["-c", script, "asm-rm", ...paths.slice(i, i + REMOVE_BATCH)],
      cwd: top,
      timeout_ms: GIT_TIMEOUT_MS,
    });
    if (res.exit_code !== 0) throw new AppError("internal_error", `rollback could not remove created files: ${res.stderr.trim()}`);
  }
}

/**
 * Restores the working tree to a snapshot: a safety snapshot of the current state first, then every file of the
 * snapshot is written back and files created since are removed. HEAD and the real index stay where they are.
 */
export async function gitRollback(ws: Workspace, snapshot: Snapshot): Promise<RollbackResponse> {
  const top = await requireTopLevel(ws, await resolveInside(ws, snapshot.path), snapshot.path);
  const target = await requireCommit(ws, top, snapshot.ref);
  const safety = await gitSnapshot(ws, snapshot.path, `before rollback to ${target}`, SAFETY_REF_PREFIX);
  const base = ["diff", "--no-renames", "--no-ext-diff", "-z", "--name-status"];
  const created = parseNameStatusZ((await git(ws, top, [...base, target, safety.ref])).stdout).added;
  await removeCreated(ws, top, created);
  await withTempIndex(ws, top, null, async (env) => {
    await git(ws, top, ["read-tree", target], { env });
    await git(ws, top, ["checkout-index", "-a", "-f"], { env });
  });
  return { backend: "git", restored_ref: target, safety_snapshot: safety, removed: created };
}

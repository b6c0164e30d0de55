import { copyFile, mkdtemp, readdir, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { AppError } from "../src/core/errors";
import { capPatch, parseNameStatusZ, parseNumstatZ, summarizeDiff } from "../src/core/workspace/diff-summary";
import type { Diff, RollbackResponse, Snapshot } from "../src/core/sandbox-protocol";
import { git, gitLine, type GitOptions } from "./git";
import { resolveInside, type Workspace } from "./paths";

/**
 * Git backend (SEED §7). A snapshot is a commit of the whole working tree, untracked files included, built in a
 * temporary index so HEAD, the real index and the working tree stay untouched; it is kept reachable under
 * refs/asm/snapshots/<sha>.
 */

export const SNAPSHOT_REF_PREFIX = "refs/asm/snapshots/";
export const SAFETY_REF_PREFIX = "refs/asm/safety/";

function opts(ws: Workspace, env?: Record<string, string>): GitOptions {
  return { workspaceDir: ws.realDir, env };
}

/** The repository top level for `dir`, or null when `dir` is not inside a repository within the workspace. */
export async function gitTopLevel(ws: Workspace, dir: string): Promise<string | null> {
  const res = await git(dir, ["rev-parse", "--show-toplevel"], { ...opts(ws), allowFailure: true }).catch(() => null);
  if (!res || res.code !== 0) return null;
  const top = resolve(res.stdout.trim());
  return top === ws.realDir || top.startsWith(`${ws.realDir}/`) ? top : null;
}

async function requireTopLevel(ws: Workspace, dir: string, path: string): Promise<string> {
  const top = await gitTopLevel(ws, dir);
  if (!top) throw new AppError("validation_error", `not a git repository: ${path}`, { path });
  return top;
}

async function revParse(ws: Workspace, top: string, rev: string): Promise<string | null> {
  const res = await git(top, ["rev-parse", "--verify", "-q", rev], { ...opts(ws), allowFailure: true });
  return res.code === 0 ? res.stdout.trim() : null;
}

/** Runs `fn` with GIT_INDEX_FILE pointing at a fresh temporary index (seeded from `seedFrom` if given). */
async function withTempIndex<T>(seedFrom: string | null, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "asm-index-"));
  const index = join(dir, "index");
  try {
    // Seeding keeps tracked-but-ignored files in the snapshot and lets git reuse its stat cache.
    if (seedFrom) await copyFile(seedFrom, index).catch(() => undefined);
    return await fn({ GIT_INDEX_FILE: index });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Commits the working tree of the repository at `top` without touching HEAD or the index. */
async function captureTree(ws: Workspace, top: string, message: string): Promise<{ commit: string; tree: string; head: string | null }> {
  const head = await revParse(ws, top, "HEAD^{commit}");
  const indexPath = resolve(top, await gitLine(top, ["rev-parse", "--git-path", "index"], opts(ws)));
  return withTempIndex(indexPath, async (env) => {
    await git(top, ["add", "-A", "--", "."], opts(ws, env));
    const tree = await gitLine(top, ["write-tree"], opts(ws, env));
    const commit = await gitLine(top, ["commit-tree", tree, ...(head ? ["-p", head] : []), "-m", message], opts(ws, env));
    return { commit, tree, head };
  });
}

export async function gitSnapshot(ws: Workspace, path: string, label: string | null, refPrefix = SNAPSHOT_REF_PREFIX): Promise<Snapshot> {
  const dir = await resolveInside(ws, path);
  const top = await requireTopLevel(ws, dir, path);
  const { commit, tree, head } = await captureTree(ws, top, `asm snapshot${label ? `: ${label}` : ""}`);
  await git(top, ["update-ref", `${refPrefix}${commit}`, commit], opts(ws));
  const headTree = head ? await revParse(ws, top, `${head}^{tree}`) : null;
  const branch = await git(top, ["symbolic-ref", "-q", "HEAD"], { ...opts(ws), allowFailure: true });
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
  const numstat = parseNumstatZ((await git(top, [...base, "-z", "--numstat", a, b], opts(ws))).stdout);
  const sets = parseNameStatusZ((await git(top, [...base, "-z", "--name-status", a, b], opts(ws))).stdout);
  const metadata: Record<string, unknown> = {};
  let patch: string | null = null;
  if (capturePatch) {
    const capped = capPatch((await git(top, [...base, a, b], opts(ws))).stdout, maxPatchBytes);
    patch = capped.patch;
    metadata.patch_bytes = capped.bytes;
    metadata.patch_truncated = capped.truncated;
  }
  return { backend: "git", from_ref: a, to_ref: b, ...summarizeDiff(sets, numstat), patch, metadata };
}

/** Removes now-empty directories from `dir` up to (not including) `stop`. */
async function pruneEmptyDirs(dir: string, stop: string): Promise<void> {
  while (dir !== stop && dir.startsWith(`${stop}/`)) {
    if ((await readdir(dir).catch(() => ["?"])).length > 0) return;
    await rmdir(dir).catch(() => undefined);
    dir = dirname(dir);
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
  const created = parseNameStatusZ((await git(top, [...base, target, safety.ref], opts(ws))).stdout).added;
  for (const rel of created) {
    const abs = join(top, rel);
    await rm(abs, { force: true });
    await pruneEmptyDirs(dirname(abs), top);
  }
  await withTempIndex(null, async (env) => {
    await git(top, ["read-tree", target], opts(ws, env));
    await git(top, ["checkout-index", "-a", "-f"], opts(ws, env));
  });
  return { backend: "git", restored_ref: target, safety_snapshot: safety, removed: created };
}

import { AppError } from "../src/core/errors";
import type { RestoreFromRequest, RestoreFromResponse } from "../src/core/sandbox-restore";
import { workspaceRelative } from "../src/core/workspace/path";
import { git, gitEnv, GIT_TIMEOUT_MS, NEUTRAL_GIT_CONFIG } from "./git";
import { resolveInside, type Workspace } from "./paths";
import { gitTopLevel, SAFETY_REF_PREFIX, SNAPSHOT_REF_PREFIX } from "./snapshot-git";

/** The bundle crosses from one jail to the other as base64 text on stdout and stdin. */
const MAX_BUNDLE_BASE64_BYTES = 256 * 1024 * 1024;

/** In the source's jail, as its user: the snapshot and its history as a git bundle, base64 on stdout. */
const BUNDLE_SCRIPT =
  'ref="$1"; shift; f=$(mktemp) || exit 1; git "$@" bundle create -q "$f" "$ref" && base64 -w0 "$f"; rc=$?; rm -f "$f"; exit $rc';

/**
 * In the target's jail, as its user: a new repository at the path, the bundle fetched into it, HEAD (and its branch)
 * where the source's HEAD was at the snapshot, the real index at HEAD, and the working tree written from the snapshot
 * through a temporary index, so `git status` shows what was uncommitted then as uncommitted now.
 */
const RESTORE_SCRIPT = [
  'dir="$1"; ref="$2"; sha="$3"; head="$4"; branch="$5"; shift 5',
  'mkdir -p -- "$dir" && cd -- "$dir" || exit 1',
  'if [ -e .git ]; then echo "a repository already exists at $dir" >&2; exit 3; fi',
  'f=$(mktemp) || exit 1; trap \'rm -f "$f" "$f.idx"\' EXIT',
  'base64 -d > "$f" || exit 1',
  // The neutral config allows no transport; reading the bundle file needs `file`, for this one fetch.
  'git "$@" init -q && git "$@" -c protocol.file.allow=always fetch -q "$f" "$ref:$ref" || exit 1',
  'if [ -n "$branch" ]; then git "$@" symbolic-ref HEAD "$branch" || exit 1; fi',
  'if [ -n "$head" ]; then',
  '  if [ -n "$branch" ]; then git "$@" update-ref "$branch" "$head" || exit 1; else git "$@" update-ref --no-deref HEAD "$head" || exit 1; fi',
  '  git "$@" read-tree "$head" || exit 1',
  "fi",
  'GIT_INDEX_FILE="$f.idx" git "$@" read-tree "$sha" && GIT_INDEX_FILE="$f.idx" git "$@" checkout-index -a -f',
].join("\n");

const HEX = /^[0-9a-f]{40,64}$/;
const BRANCH = /^refs\/heads\/[A-Za-z0-9._/-]{1,200}$/;

/** The ref that keeps the snapshot reachable in the source (snapshots and rollback safety snapshots have one). */
function snapshotRef(req: RestoreFromRequest): string {
  const named = req.snapshot.metadata.snapshot_ref;
  const allowed = [SNAPSHOT_REF_PREFIX, SAFETY_REF_PREFIX].map((p) => `${p}${req.snapshot.ref}`);
  return typeof named === "string" && allowed.includes(named) ? named : allowed[0]!;
}

function optional(value: unknown, pattern: RegExp): string {
  return typeof value === "string" && pattern.test(value) ? value : "";
}

/**
 * Materialises a git snapshot of `source` into `target` (a session fork's workspace). Each side's git runs in its
 * own jail as its own user; only the bundle's bytes pass between them, through the server.
 */
export async function restoreFrom(source: Workspace, target: Workspace, req: RestoreFromRequest): Promise<RestoreFromResponse> {
  const { snapshot } = req;
  if (snapshot.backend !== "git") {
    throw new AppError(
      "validation_error",
      "only a git snapshot can be restored into another workspace; a hash snapshot records hashes, not contents",
      { backend: snapshot.backend },
    );
  }
  if (source.id === target.id) throw new AppError("validation_error", "source and target are the same workspace");
  const top = await gitTopLevel(source, await resolveInside(source, snapshot.path));
  if (!top) throw new AppError("not_found", `no git repository at ${snapshot.path} in the source workspace`, { path: snapshot.path });
  const ref = snapshotRef(req);
  const found = await git(source, top, ["rev-parse", "--verify", "-q", `${ref}^{commit}`], { allowFailure: true });
  if (found.code !== 0 || found.stdout.trim() !== snapshot.ref)
    throw new AppError("not_found", `snapshot ${snapshot.ref} not found in the source workspace`, { ref: snapshot.ref });

  const bundle = await source.run({
    command: "/bin/sh",
    args: ["-c", BUNDLE_SCRIPT, "asm-bundle", ref, ...NEUTRAL_GIT_CONFIG],
    cwd: top,
    env: gitEnv(source),
    timeout_ms: GIT_TIMEOUT_MS,
    max_output_bytes: MAX_BUNDLE_BASE64_BYTES,
  });
  if (bundle.timed_out || bundle.exit_code !== 0) {
    throw new AppError("internal_error", `could not bundle the snapshot: ${bundle.timed_out ? "timed out" : bundle.stderr.trim()}`);
  }
  // The same place in the target, relative to its root (a jail sees the workspace at /workspace, a bare run does not).
  const relative = workspaceRelative(snapshot.path);
  if (relative === null)
    throw new AppError("validation_error", `snapshot path is outside the workspace: ${snapshot.path}`, { path: snapshot.path });
  const head = optional(snapshot.metadata.head_ref, HEX);
  const branch = optional(snapshot.metadata.head_branch, BRANCH);
  const restored = await target.run({
    command: "/bin/sh",
    args: ["-c", RESTORE_SCRIPT, "asm-restore", relative || ".", ref, snapshot.ref, head, branch, ...NEUTRAL_GIT_CONFIG],
    cwd: target.realDir,
    env: gitEnv(target),
    timeout_ms: GIT_TIMEOUT_MS,
    stdin: bundle.stdout,
  });
  if (restored.exit_code === 3) throw new AppError("already_exists", restored.stderr.trim(), { path: snapshot.path });
  if (restored.timed_out || restored.exit_code !== 0) {
    throw new AppError("internal_error", `could not restore the snapshot: ${restored.timed_out ? "timed out" : restored.stderr.trim()}`);
  }
  return { restored_ref: snapshot.ref, path: snapshot.path, head_ref: head || null, head_branch: branch || null };
}

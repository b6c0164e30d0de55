import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, readFile, readdir, readlink, stat, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { z } from "zod";
import { AppError } from "../src/core/errors";
import type { Diff, IgnoreRules, Snapshot } from "../src/core/sandbox-protocol";
import { compareManifests, summarizeDiff } from "../src/core/workspace/diff-summary";
import { compileIgnore, DEFAULT_IGNORED_PATHS } from "../src/core/workspace/ignore";
import { resolveInside, type Workspace } from "./paths";

/**
 * Hash backend: the SHA-256 of every file outside the ignore rules. The manifest is stored under
 * `<root>/.asm-snapshots/<workspace>/<ref>.json`, outside every workspace, so commands cannot tamper with it;
 * the ref is the SHA-256 of the manifest itself.
 */

export const SNAPSHOT_STORE_DIR = ".asm-snapshots";

const ManifestSchema = z.object({
  version: z.literal(1),
  path: z.string(),
  files: z.record(z.string(), z.string()),
});
type Manifest = z.infer<typeof ManifestSchema>;

function hashFile(abs: string): Promise<string> {
  return new Promise((resolveHash, reject) => {
    const hash = createHash("sha256");
    createReadStream(abs)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolveHash(hash.digest("hex")))
      .on("error", reject);
  });
}

/** Walks `dir`, hashing regular files; symlinks are recorded by their target text and never followed. */
async function buildManifest(dir: string, ignore: IgnoreRules): Promise<{ files: Record<string, string>; bytes: number }> {
  const ignored = compileIgnore({ paths: ignore.paths, globs: ignore.globs });
  const files: Record<string, string> = {};
  let bytes = 0;
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const abs = join(current, name);
      const rel = relative(dir, abs).split(sep).join("/");
      if (ignored(rel)) continue;
      const info = await lstat(abs).catch(() => null);
      if (!info) continue;
      if (info.isDirectory()) await walk(abs);
      else if (info.isSymbolicLink())
        files[rel] = createHash("sha256")
          .update(`symlink:${await readlink(abs)}`)
          .digest("hex");
      else if (info.isFile()) {
        files[rel] = await hashFile(abs);
        bytes += info.size;
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}

function storeDir(root: string, ws: Workspace): string {
  return join(root, SNAPSHOT_STORE_DIR, ws.id);
}

export async function hashSnapshot(
  root: string,
  ws: Workspace,
  path: string,
  label: string | null,
  ignore: IgnoreRules = {},
): Promise<Snapshot> {
  const dir = await resolveInside(ws, path);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new AppError("not_found", `no such directory: ${path}`, { path });
  }
  const { files, bytes } = await buildManifest(dir, ignore);
  const manifest: Manifest = { version: 1, path, files };
  const text = JSON.stringify(manifest);
  const ref = createHash("sha256").update(text).digest("hex");
  await mkdir(storeDir(root, ws), { recursive: true });
  await writeFile(join(storeDir(root, ws), `${ref}.json`), text);
  return {
    backend: "hash",
    path,
    ref,
    label,
    captured_at: new Date().toISOString(),
    metadata: {
      file_count: Object.keys(files).length,
      total_bytes: bytes,
      ignore: { paths: [...DEFAULT_IGNORED_PATHS, ...(ignore.paths ?? [])], globs: ignore.globs ?? [] },
    },
  };
}

async function loadManifest(root: string, ws: Workspace, ref: string): Promise<Manifest> {
  if (!/^[0-9a-f]{64}$/.test(ref)) throw new AppError("validation_error", `not a hash snapshot ref: ${ref}`, { ref });
  const text = await readFile(join(storeDir(root, ws), `${ref}.json`), "utf8").catch(() => null);
  if (text === null) throw new AppError("not_found", `snapshot ${ref} not found`, { ref });
  return ManifestSchema.parse(JSON.parse(text));
}

export async function hashDiff(root: string, ws: Workspace, from: Snapshot, to: Snapshot): Promise<Diff> {
  const [a, b] = [await loadManifest(root, ws, from.ref), await loadManifest(root, ws, to.ref)];
  return {
    backend: "hash",
    from_ref: from.ref,
    to_ref: to.ref,
    ...summarizeDiff(compareManifests(a.files, b.files)),
    patch: null,
    metadata: {},
  };
}

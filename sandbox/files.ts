import { lstat, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { AppError } from "../src/core/errors";
import type {
  FileEditRequest,
  FileEditResponse,
  FileListResponse,
  FileReadResponse,
  FileWriteResponse,
} from "../src/core/sandbox-protocol";
import type { FileEntry } from "../src/providers/types";
import { giveToWorkspace, resolveInside, toJailPath, toRelative, type Workspace } from "./paths";

/**
 * File operations inside one workspace. Paths in responses are workspace-relative. Paths are checked here for
 * clear errors; in a jailed workspace the read or write itself runs in the jail as the workspace's user, so a
 * folder swapped for a symlink between check and use (by a process the run left behind) still leads nowhere.
 */

const FILE_OP_TIMEOUT_MS = 60_000;

/** Runs a file operation in the workspace's jail; a failure becomes an error naming the path. */
async function inJail(
  ws: Workspace,
  path: string,
  args: string[],
  opts: { stdin?: string; maxOutputBytes?: number } = {},
): Promise<string> {
  const res = await ws.run({
    command: "/bin/sh",
    args: ["-c", ...args],
    cwd: ws.realDir,
    timeout_ms: FILE_OP_TIMEOUT_MS,
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    ...(opts.maxOutputBytes ? { max_output_bytes: opts.maxOutputBytes } : {}),
  });
  if (res.exit_code === 0) return res.stdout;
  if (/No such file/.test(res.stderr)) throw notFound(path);
  if (/Read-only file system|Permission denied/.test(res.stderr))
    throw new AppError("forbidden", `path is not writable: ${path}`, { path });
  throw new AppError("internal_error", `file operation on ${path} failed: ${res.stderr.trim() || `exit ${res.exit_code}`}`, { path });
}

const MAX_READ_BYTES = 32 * 1024 * 1024;
const MAX_LIST_ENTRIES = 20_000;

function notFound(path: string): AppError {
  return new AppError("not_found", `no such file: ${path}`, { path });
}

async function statOrNull(abs: string) {
  return stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return null;
    throw err;
  });
}

export async function readTextFile(ws: Workspace, path: string): Promise<FileReadResponse> {
  const abs = await resolveInside(ws, path);
  const info = await statOrNull(abs);
  if (!info) throw notFound(path);
  if (!info.isFile()) throw new AppError("validation_error", `not a regular file: ${path}`, { path });
  if (info.size > MAX_READ_BYTES)
    throw new AppError("payload_too_large", `file is larger than ${MAX_READ_BYTES} bytes`, { path, size: info.size });
  const content = ws.jailed
    ? await inJail(ws, path, ['exec cat -- "$1"', "asm-read", toJailPath(ws, abs)], { maxOutputBytes: MAX_READ_BYTES })
    : await readFile(abs, "utf8");
  return { path: toRelative(ws, abs), content, size: info.size };
}

/** Folders from `first` (the first one mkdir created) down to `last`, for handing to the workspace user. */
function createdChain(first: string | undefined, last: string): string[] {
  if (!first) return [];
  const chain = [first];
  for (const part of relative(first, last).split(sep).filter(Boolean)) chain.push(join(chain[chain.length - 1]!, part));
  return chain;
}

export async function writeTextFile(ws: Workspace, path: string, content: string): Promise<FileWriteResponse> {
  const abs = await resolveInside(ws, path);
  const existing = await statOrNull(abs);
  if (existing?.isDirectory()) throw new AppError("validation_error", `is a directory: ${path}`, { path });
  if (ws.jailed) {
    await inJail(ws, path, ['mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', "asm-write", toJailPath(ws, abs)], { stdin: content });
  } else {
    const created = await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content, "utf8");
    await giveToWorkspace(ws, [...createdChain(created, dirname(abs)), abs]);
  }
  return { path: toRelative(ws, abs), size: Buffer.byteLength(content) };
}

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Replaces `old_string` once (it must be unique) or everywhere with `replace_all`. */
export async function editTextFile(ws: Workspace, req: FileEditRequest): Promise<FileEditResponse> {
  const { content, path } = await readTextFile(ws, req.path);
  const occurrences = countOccurrences(content, req.old_string);
  if (occurrences === 0) {
    throw new AppError("validation_error", `old_string not found in ${path}`, { path, occurrences });
  }
  if (occurrences > 1 && !req.replace_all) {
    throw new AppError(
      "validation_error",
      `old_string occurs ${occurrences} times in ${path}; add context to make it unique or set replace_all`,
      { path, occurrences },
    );
  }
  const updated = req.replace_all
    ? content.split(req.old_string).join(req.new_string)
    : content.replace(req.old_string, () => req.new_string);
  await writeTextFile(ws, path, updated);
  return { path, replacements: req.replace_all ? occurrences : 1 };
}

/** Lists a directory (sorted); symlinks are reported as files and never followed. */
export async function listFiles(ws: Workspace, path: string, recursive: boolean): Promise<FileListResponse> {
  const abs = await resolveInside(ws, path);
  const info = await statOrNull(abs);
  if (!info) throw notFound(path);
  if (!info.isDirectory()) throw new AppError("validation_error", `not a directory: ${path}`, { path });
  const entries: FileEntry[] = [];
  let truncated = false;
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (entries.length >= MAX_LIST_ENTRIES) {
        truncated = true;
        return;
      }
      const child = join(dir, name);
      const childInfo = await lstat(child).catch(() => null);
      if (!childInfo) continue;
      const isDir = childInfo.isDirectory();
      entries.push({ path: toRelative(ws, child), type: isDir ? "dir" : "file", size: isDir ? 0 : childInfo.size });
      if (isDir && recursive) await walk(child);
    }
  };
  await walk(abs);
  return { entries, truncated };
}

/**
 * Pure diff summaries: parsing `git diff -z --numstat` / `--name-status` output and comparing hash manifests.
 * The sandbox server runs git; everything that only reads text lives here so it can be tested on its own.
 */

export type NumstatEntry = { path: string; insertions: number; deletions: number; binary: boolean };
export type ChangeKind = "added" | "modified" | "deleted";
export type ChangeSets = { added: string[]; modified: string[]; deleted: string[] };
export type DiffCounts = ChangeSets & {
  files_changed: number;
  insertions: number;
  deletions: number;
  changed_paths: string[];
};

/** Parses `git diff --numstat -z --no-renames`: `ins\tdel\tpath\0` records; binary files show `-\t-`. */
export function parseNumstatZ(text: string): NumstatEntry[] {
  const entries: NumstatEntry[] = [];
  for (const record of text.split("\0")) {
    if (record.trim() === "") continue;
    const match = /^\s*(\d+|-)\t(\d+|-)\t([\s\S]*)$/.exec(record);
    const [, ins, del, path] = match ?? [];
    if (ins === undefined || del === undefined || path === undefined) continue;
    const binary = ins === "-" || del === "-";
    entries.push({
      path,
      insertions: binary ? 0 : Number(ins),
      deletions: binary ? 0 : Number(del),
      binary,
    });
  }
  return entries;
}

/** Parses `git diff --name-status -z --no-renames`: alternating `STATUS\0path\0`. */
export function parseNameStatusZ(text: string): ChangeSets {
  const parts = text.split("\0");
  const sets: ChangeSets = { added: [], modified: [], deleted: [] };
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!.trim();
    const path = parts[i + 1]!;
    if (status === "" || path === "") continue;
    const kind = statusKind(status);
    sets[kind].push(path);
  }
  return sortSets(sets);
}

function statusKind(status: string): ChangeKind {
  switch (status[0]) {
    case "A":
      return "added";
    case "D":
      return "deleted";
    // M (content), T (type change), U (unmerged) and anything else: the path exists on both sides.
    default:
      return "modified";
  }
}

function sortSets(sets: ChangeSets): ChangeSets {
  return { added: [...sets.added].sort(), modified: [...sets.modified].sort(), deleted: [...sets.deleted].sort() };
}

/** Compares two `{path: sha256}` manifests (hash backend): paths only, no line counts. */
export function compareManifests(from: Record<string, string>, to: Record<string, string>): ChangeSets {
  const sets: ChangeSets = { added: [], modified: [], deleted: [] };
  for (const [path, hash] of Object.entries(to)) {
    if (!(path in from)) sets.added.push(path);
    else if (from[path] !== hash) sets.modified.push(path);
  }
  for (const path of Object.keys(from)) {
    if (!(path in to)) sets.deleted.push(path);
  }
  return sortSets(sets);
}

/** Joins change sets with optional line counts into the summary the diff response carries. */
export function summarizeDiff(sets: ChangeSets, numstat: NumstatEntry[] = []): DiffCounts {
  const changed_paths = [...new Set([...sets.added, ...sets.modified, ...sets.deleted])].sort();
  return {
    ...sortSets(sets),
    files_changed: changed_paths.length,
    insertions: numstat.reduce((sum, e) => sum + e.insertions, 0),
    deletions: numstat.reduce((sum, e) => sum + e.deletions, 0),
    changed_paths,
  };
}

/** Cuts a patch to at most `maxBytes` UTF-8 bytes, on a character boundary. */
export function capPatch(patch: string, maxBytes: number): { patch: string; truncated: boolean; bytes: number } {
  const bytes = new TextEncoder().encode(patch);
  if (bytes.length <= maxBytes) return { patch, truncated: false, bytes: bytes.length };
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { patch: new TextDecoder().decode(bytes.subarray(0, end)), truncated: true, bytes: bytes.length };
}

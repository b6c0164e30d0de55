/**
 * Ignore rules for the hash snapshot backend (SEED §7). Pure: paths are workspace-relative, `/`-separated.
 *
 * - `paths`: an entry without a slash (`node_modules`) matches that name as any path segment, so nested
 *   `pkg/node_modules` is ignored too; an entry with a slash (`build/out`) matches that path and everything under it.
 * - `globs`: `*` matches within one segment, `**` across segments, `?` one character other than `/`. A glob without
 *   a slash is tried against every segment (`*.log` ignores logs anywhere); with a slash, against the whole path
 *   or any of its parent directories.
 */

export const DEFAULT_IGNORED_PATHS = [".git", "node_modules", "deps", "_build"] as const;

export type IgnoreInput = { paths?: readonly string[]; globs?: readonly string[] };
export type IgnoreMatcher = (relPath: string) => boolean;

export function normalizeRelPath(path: string): string {
  return path
    .split("/")
    .filter((segment) => segment !== "" && segment !== ".")
    .join("/");
}

/** Translates one glob into an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        // `**/` also matches zero directories; a bare `**` matches anything.
        if (glob[i + 2] === "/") {
          out += "(?:.*/)?";
          i += 2;
        } else {
          out += ".*";
          i += 1;
        }
      } else {
        out += "[^/]*";
      }
    } else if (ch === "?") {
      out += "[^/]";
    } else {
      out += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${out}$`);
}

/** Every prefix of a path: `a/b/c` → `a`, `a/b`, `a/b/c` (an ignored directory hides its contents). */
function prefixes(segments: string[]): string[] {
  return segments.map((_, i) => segments.slice(0, i + 1).join("/"));
}

export function compileIgnore(input: IgnoreInput = {}, defaults: readonly string[] = DEFAULT_IGNORED_PATHS): IgnoreMatcher {
  const paths = [...defaults, ...(input.paths ?? [])].map(normalizeRelPath).filter((p) => p !== "");
  const names = new Set(paths.filter((p) => !p.includes("/")));
  const nested = paths.filter((p) => p.includes("/"));
  const segmentGlobs: RegExp[] = [];
  const pathGlobs: RegExp[] = [];
  for (const raw of input.globs ?? []) {
    const glob = raw.startsWith("/") ? raw.slice(1) : raw;
    if (glob === "") continue;
    (glob.includes("/") ? pathGlobs : segmentGlobs).push(globToRegExp(glob.replace(/\/+$/, "")));
  }

  return (relPath: string) => {
    const normalized = normalizeRelPath(relPath);
    if (normalized === "") return false;
    const segments = normalized.split("/");
    if (segments.some((s) => names.has(s))) return true;
    if (nested.some((p) => normalized === p || normalized.startsWith(`${p}/`))) return true;
    if (segmentGlobs.some((re) => segments.some((s) => re.test(s)))) return true;
    if (pathGlobs.length > 0) {
      const candidates = prefixes(segments);
      if (pathGlobs.some((re) => candidates.some((c) => re.test(c)))) return true;
    }
    return false;
  };
}

import ignore from "ignore";
// The posix build: no `process.platform` probe and `/` as the only separator, the same in Node and workerd.
import picomatch from "picomatch/posix";

/**
 * Ignore rules for the hash snapshot backend. Pure: paths are workspace-relative, `/`-separated; a path that
 * ends with `/` is a directory (the `ignore` package's convention).
 *
 * - `paths` are literal paths with gitignore placement (the `ignore` package): an entry without a slash
 *   (`node_modules`) matches that name at any depth; an entry with a slash (`build/out`) is anchored at the
 *   workspace root; an ignored directory hides everything under it.
 * - `globs` are gitignore-style rules matched with `picomatch` (`*`, `**`, `?`, `[...]`, `{a,b}`), in order, the
 *   last matching rule winning: `!rule` re-includes what an earlier glob ignored (never the contents of an
 *   ignored directory, as in git), a leading `/` anchors at the root, a trailing `/` matches directories only, a
 *   rule without a slash matches a name at any depth, one with a slash the path from the root.
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

/** A literal path as a gitignore line: glob characters, a leading `!`/`#` and trailing spaces escaped. */
function literalRule(path: string): string {
  return path
    .replace(/[\\*?[\]]/g, "\\$&")
    .replace(/^[!#]/, "\\$&")
    .replace(/ $/, "\\ ");
}

type GlobRule = { negated: boolean; dirOnly: boolean; matches: (path: string) => boolean };

function compileGlob(raw: string): GlobRule | null {
  const negated = raw.startsWith("!");
  let body = negated ? raw.slice(1) : raw;
  const dirOnly = body.endsWith("/");
  body = body.replace(/\/+$/, "");
  // A slash at the start or in the middle anchors the rule at the root (gitignore).
  const anchored = body.includes("/");
  body = body.replace(/^\/+/, "");
  if (body === "") return null;
  // `basename`: a slash-free rule is tried against the last segment of each candidate path.
  const matches = picomatch(body, { dot: true, basename: !anchored });
  return { negated, dirOnly, matches };
}

/** The verdict of the last rule that matches `path`: true ignores, false re-includes, undefined says nothing. */
function lastVerdict(rules: readonly GlobRule[], path: string, isDir: boolean): boolean | undefined {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    if (rule.dirOnly && !isDir) continue;
    if (rule.matches(path)) return !rule.negated;
  }
  return undefined;
}

export function compileIgnore(input: IgnoreInput = {}, defaults: readonly string[] = DEFAULT_IGNORED_PATHS): IgnoreMatcher {
  const literal = [...defaults, ...(input.paths ?? [])].map(normalizeRelPath).filter((p) => p !== "");
  const paths = ignore({ ignorecase: false }).add(literal.map(literalRule));
  const globs = (input.globs ?? []).map(compileGlob).filter((rule): rule is GlobRule => rule !== null);

  return (relPath: string) => {
    const normalized = normalizeRelPath(relPath);
    if (normalized === "") return false;
    const isDir = relPath.endsWith("/");
    if (paths.ignores(isDir ? `${normalized}/` : normalized)) return true;
    // Git's rule: once a directory is ignored, nothing under it can be re-included, so the first ignored
    // prefix decides. Every prefix but the last is a directory.
    const segments = normalized.split("/");
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join("/");
      if (lastVerdict(globs, prefix, i < segments.length || isDir) === true) return true;
    }
    return false;
  };
}

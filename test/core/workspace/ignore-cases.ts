import type { IgnoreInput } from "../../../src/core/workspace/ignore";

/** Ignore-rule cases shared by the Node test and the workerd test (src/core runs in both). */
export type IgnoreCase = { name: string; input: IgnoreInput; defaults?: readonly string[]; ignored: string[]; kept: string[] };

export const IGNORE_CASES: IgnoreCase[] = [
  {
    name: "defaults at any depth, by whole name only",
    input: {},
    ignored: [".git", ".git/HEAD", "node_modules/x/y.js", "a/node_modules/b.js", "deps/x", "_build/dev/x"],
    kept: ["src/a.ts", "node_modules_x/a", "my.git", "depsx"],
  },
  {
    name: "paths with a slash are anchored prefixes",
    input: { paths: ["build/out", "./dist/"] },
    ignored: ["build/out", "build/out/x.js", "dist/a"],
    kept: ["build/outer.js", "x/build/out"],
  },
  {
    name: "paths are literal: glob characters and a leading ! or # mean themselves",
    input: { paths: ["*.md", "a[1]", "!bang", "#hash"] },
    defaults: [],
    ignored: ["*.md", "x/a[1]/y", "!bang", "#hash/z"],
    kept: ["README.md", "a1", "bang", "hash"],
  },
  {
    name: "*, ** and ?",
    input: { globs: ["*.log", "src/**/*.gen.ts", "file?.txt", "tmp/**"] },
    defaults: [],
    ignored: ["a.log", "deep/er/x.log", "src/a.gen.ts", "src/a/b/c.gen.ts", "file1.txt", "tmp/a/b", ".hidden.log"],
    kept: ["src/a.ts", "lib/a.gen.ts", "file12.txt", "src/tmp.ts", "a.b"],
  },
  {
    name: "braces {a,b}",
    input: { globs: ["*.{png,jpg}", "{dist,coverage}/**"] },
    defaults: [],
    ignored: ["a.png", "x/y/b.jpg", "dist/a.js", "coverage/lcov/index.html"],
    kept: ["a.gif", "src/dist/a.js", "distx/a.js"],
  },
  {
    name: "character classes [...]",
    input: { globs: ["log[0-9].txt", "[^a]*.tmp"] },
    defaults: [],
    ignored: ["log3.txt", "x/log7.txt", "b.tmp", "z/c1.tmp"],
    kept: ["logx.txt", "log10.txt", "a.tmp"],
  },
  {
    name: "negation re-includes what an earlier glob ignored; the last match wins",
    input: { globs: ["*.log", "!keep.log", "keep.log.d/*.log"] },
    defaults: [],
    ignored: ["a.log", "x/b.log", "keep.log.d/keep.log"],
    kept: ["keep.log", "x/keep.log"],
  },
  {
    name: "nothing under an ignored directory is re-included (git's rule)",
    input: { globs: ["build/", "!build/keep.txt"] },
    defaults: [],
    ignored: ["build/keep.txt", "build/a/b"],
    kept: ["build", "builds/a"],
  },
  {
    name: "directory rules (trailing /) match directories only",
    input: { globs: ["cache/"] },
    defaults: [],
    ignored: ["cache/x", "a/cache/x", "cache/"],
    kept: ["cache", "a/cache"],
  },
  {
    name: "anchored rules (leading or middle /) match from the root only",
    input: { globs: ["/coverage", "docs/*.html"] },
    defaults: [],
    ignored: ["coverage", "coverage/index.html", "docs/a.html"],
    kept: ["x/coverage", "x/docs/a.html", "docs/sub/a.html"],
  },
];

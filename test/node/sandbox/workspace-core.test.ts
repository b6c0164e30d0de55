import { describe, expect, it } from "vitest";
import { capPatch, compareManifests, parseNameStatusZ, parseNumstatZ, summarizeDiff } from "../../../src/core/workspace/diff-summary";
import { compileIgnore, globToRegExp } from "../../../src/core/workspace/ignore";

describe("ignore rules", () => {
  it("ignores the defaults at any depth", () => {
    const ignored = compileIgnore();
    for (const p of [".git", ".git/HEAD", "node_modules/x/y.js", "a/node_modules/b.js", "deps/x", "_build/dev/x"]) expect(ignored(p), p).toBe(true);
    for (const p of ["src/a.ts", "node_modules_x/a", "my.git", "depsx"]) expect(ignored(p), p).toBe(false);
  });

  it("matches paths with a slash as prefixes only", () => {
    const ignored = compileIgnore({ paths: ["build/out", "./dist/"] });
    expect(ignored("build/out")).toBe(true);
    expect(ignored("build/out/x.js")).toBe(true);
    expect(ignored("build/outer.js")).toBe(false);
    expect(ignored("x/build/out")).toBe(false);
    expect(ignored("dist/a")).toBe(true);
  });

  it("supports *, ** and ? in globs", () => {
    expect(globToRegExp("*.log").test("a.log")).toBe(true);
    expect(globToRegExp("*.log").test("a/b.log")).toBe(false);
    expect(globToRegExp("src/**/*.ts").test("src/a.ts")).toBe(true);
    expect(globToRegExp("src/**/*.ts").test("src/a/b/c.ts")).toBe(true);
    expect(globToRegExp("src/**/*.ts").test("lib/a.ts")).toBe(false);
    expect(globToRegExp("file?.txt").test("file1.txt")).toBe(true);
    expect(globToRegExp("file?.txt").test("file12.txt")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
    const ignored = compileIgnore({ globs: ["*.log", "tmp/**", "/coverage"] }, []);
    expect(ignored("deep/er/x.log")).toBe(true);
    expect(ignored("tmp/a/b")).toBe(true);
    expect(ignored("coverage/index.html")).toBe(true);
    expect(ignored("src/tmp.ts")).toBe(false);
  });
});

describe("diff summaries", () => {
  it("parses numstat -z, counting binary files as 0 lines", () => {
    const text = "3\t1\tsrc/a.ts\0-\t-\timg.png\0" + "0\t5\tweird\tname.txt\0";
    expect(parseNumstatZ(text)).toEqual([
      { path: "src/a.ts", insertions: 3, deletions: 1, binary: false },
      { path: "img.png", insertions: 0, deletions: 0, binary: true },
      { path: "weird\tname.txt", insertions: 0, deletions: 5, binary: false },
    ]);
  });

  it("parses name-status -z into sorted change sets", () => {
    expect(parseNameStatusZ("M\0b.txt\0A\0z.txt\0D\0a.txt\0A\0c.txt\0T\0link\0")).toEqual({
      added: ["c.txt", "z.txt"], modified: ["b.txt", "link"], deleted: ["a.txt"],
    });
  });

  it("compares manifests and summarizes", () => {
    const sets = compareManifests({ a: "1", b: "2", c: "3" }, { a: "1", b: "9", d: "4" });
    expect(sets).toEqual({ added: ["d"], modified: ["b"], deleted: ["c"] });
    expect(summarizeDiff(sets, [{ path: "b", insertions: 2, deletions: 1, binary: false }])).toEqual({
      ...sets, files_changed: 3, insertions: 2, deletions: 1, changed_paths: ["b", "c", "d"],
    });
  });

  it("caps a patch on a character boundary", () => {
    expect(capPatch("abc", 10)).toEqual({ patch: "abc", truncated: false, bytes: 3 });
    const capped = capPatch("aé€", 4); // 1 + 2 + 3 bytes: the € does not fit
    expect(capped).toEqual({ patch: "aé", truncated: true, bytes: 6 });
  });
});

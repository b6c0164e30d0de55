import { describe, expect, it } from "vitest";
import { capPatch, compareManifests, parseNameStatusZ, parseNumstatZ, summarizeDiff } from "../../../src/core/workspace/diff-summary";

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
      added: ["c.txt", "z.txt"],
      modified: ["b.txt", "link"],
      deleted: ["a.txt"],
    });
  });

  it("compares manifests and summarizes", () => {
    const sets = compareManifests({ a: "1", b: "2", c: "3" }, { a: "1", b: "9", d: "4" });
    expect(sets).toEqual({ added: ["d"], modified: ["b"], deleted: ["c"] });
    expect(summarizeDiff(sets, [{ path: "b", insertions: 2, deletions: 1, binary: false }])).toEqual({
      ...sets,
      files_changed: 3,
      insertions: 2,
      deletions: 1,
      changed_paths: ["b", "c", "d"],
    });
  });

  it("caps a patch on a character boundary", () => {
    expect(capPatch("abc", 10)).toEqual({ patch: "abc", truncated: false, bytes: 3 });
    const capped = capPatch("aé€", 4); // 1 + 2 + 3 bytes: the € does not fit
    expect(capped).toEqual({ patch: "aé", truncated: true, bytes: 6 });
  });
});

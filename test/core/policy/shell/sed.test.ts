import { describe, expect, it } from "vitest";
import { sedCanExecute } from "../../../../src/core/policy/shell/sed";

describe("sedCanExecute", () => {
  it.each([
    ["s/a/b/g", false],
    ["s/a/b/w out.txt", false],
    ["/^#/d;$!N;s/\\n/ /", false],
    ["y/abc/xyz/", false],
    ["1i\\\nsome text with e in it", false],
    [":loop;/e/bloop", false],
    ["s|/e|x|", false],
    ["1e rm x", true],
    ["e", true],
    ["s/a/rm x/e", true],
    ["s/a/b/ge", true],
    ["s/[/]/rm x/e", true], // the delimiter inside a bracket expression does not end the regex
    ["s/a/b/ ; 2 e rm x", true],
    ["s/a", true], // unterminated: what sed would do is not read, so it counts as able to run
    ["Z", true], // unknown command
  ])("%j → %s", (script, expected) => {
    expect(sedCanExecute(script)).toBe(expected);
  });
});

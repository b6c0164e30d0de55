import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../src/core/constant-time";

describe("constantTimeEqual", () => {
  it.each<[string, string, boolean]>([
    ["asm_dev_key", "asm_dev_key", true],
    ["", "", true],
    ["clé-🔑", "clé-🔑", true],
    ["asm_dev_key", "asm_dev_kez", false],
    ["asm_dev_key", "asm_dev_key_other", false], // a prefix is not a match
    ["asm_dev_key_other", "asm_dev_key", false],
    ["", "x", false],
    ["x", "", false],
    ["a\0", "a", false], // a trailing NUL is not padding
    ["é", "e\u0301", false], // compared as bytes: no Unicode normalisation
    ["\u00ff", "\u00fe", false],
  ])("%j vs %j → %s", (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
    expect(constantTimeEqual(b, a)).toBe(equal);
  });
});

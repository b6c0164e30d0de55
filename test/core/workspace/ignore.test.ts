import { describe, expect, it } from "vitest";
import { compileIgnore } from "../../../src/core/workspace/ignore";
import { IGNORE_CASES } from "./ignore-cases";

describe("ignore rules (Node)", () => {
  it.each(IGNORE_CASES)("$name", ({ input, defaults, ignored, kept }) => {
    const matcher = compileIgnore(input, defaults);
    for (const p of ignored) expect(matcher(p), p).toBe(true);
    for (const p of kept) expect(matcher(p), p).toBe(false);
  });

  it("ignores nothing for an empty path", () => {
    expect(compileIgnore()("")).toBe(false);
    expect(compileIgnore()("./")).toBe(false);
  });
});

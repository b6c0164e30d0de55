import { describe, expect, it } from "vitest";
import { compileIgnore } from "../../../src/core/workspace/ignore";
import { IGNORE_CASES } from "../../core/workspace/ignore-cases";

// src/core runs in workerd too: picomatch and ignore must load and match there exactly as in Node.
describe("ignore rules (workerd)", () => {
  it.each(IGNORE_CASES)("$name", ({ input, defaults, ignored, kept }) => {
    const matcher = compileIgnore(input, defaults);
    for (const p of ignored) expect(matcher(p), p).toBe(true);
    for (const p of kept) expect(matcher(p), p).toBe(false);
  });
});

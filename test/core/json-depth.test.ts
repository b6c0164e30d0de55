import { describe, expect, it } from "vitest";
import { DEFAULTS, loadConfig } from "../../src/core/config";
import { requestFingerprint } from "../../src/core/idempotency";
import { jsonDepthExceeds } from "../../src/core/json-depth";

describe("JSON depth", () => {
  it("counts objects and arrays, not brackets inside strings", () => {
    expect(jsonDepthExceeds("{}", 64)).toEqual({ exceeded: false, depth: 1 });
    expect(jsonDepthExceeds('{"a":[{"b":"[[[{{{"}]}', 64)).toEqual({ exceeded: false, depth: 3 });
    expect(jsonDepthExceeds('{"a":"\\"[[[[","b":[1]}', 64)).toEqual({ exceeded: false, depth: 2 });
    expect(jsonDepthExceeds("42", 64).depth).toBe(0);
  });

  it("stops at the first level past the limit, for any depth", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(jsonDepthExceeds(deep(64), 64).exceeded).toBe(false);
    expect(jsonDepthExceeds(deep(65), 64)).toEqual({ exceeded: true, depth: 65 });
    expect(jsonDepthExceeds(deep(1_000_000), 64)).toEqual({ exceeded: true, depth: 65 });
  });

  it("defaults to 64 levels, configurable with MAX_JSON_DEPTH", () => {
    expect(DEFAULTS.maxJsonDepth).toBe(64);
    expect(loadConfig({ MAX_JSON_DEPTH: "300" }).maxJsonDepth).toBe(300);
  });
});

describe("idempotency fingerprints", () => {
  it("ignore key order and tell different bodies apart", async () => {
    const a = await requestFingerprint({ provider: "shell", input: { command: "ls", args: ["-l"] } });
    const b = await requestFingerprint({ input: { args: ["-l"], command: "ls" }, provider: "shell" });
    const c = await requestFingerprint({ provider: "shell", input: { command: "ls", args: ["-la"] } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "./helpers";

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  await sb.stop();
});

describe("concurrent first requests of a new workspace", () => {
  it("16 execs at once on a fresh workspace all run as its one user: every write lands", async () => {
    const workspace = `fresh_${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => sb.call("POST", "/exec", { workspace, body: { command: `echo ${i} >> all.log && id -u` } })),
    );
    expect(results.map((r) => r.body.exit_code)).toEqual(Array(16).fill(0));
    expect(new Set(results.map((r) => r.body.stdout)).size).toBe(1);
    const log = (await sb.call("GET", "/files?path=all.log", { workspace })).body.content as string;
    expect(
      log
        .trim()
        .split("\n")
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });
});

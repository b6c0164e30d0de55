import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "dotenv";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_getVarsForDev } from "wrangler";
import { readDevVars, wranglerEnvArg } from "../../scripts/dev-vars.mjs";

// Everything dotenv's rules treat specially: quotes of three kinds, comments, `export`, blanks, multiline.
const TEXT = [
  "# a comment line",
  "API_KEYS=asm_dev_key=dev,asm_dev_key_other=other",
  'SANDBOX_TOKEN="quoted token"   # a comment after a quoted value',
  "SINGLE='single $NOT_EXPANDED \\n stays'",
  "BACKTICK=`back tick`",
  "UNQUOTED=  spaced value  # trailing comment",
  "export EXPORTED=yes",
  'MULTI="line one',
  "line two",
  'line three"',
  'ESCAPED="a\\nb"',
  "HASH_IN_QUOTES='a#b'",
  "EMPTY=",
  "lower_case.key-x=ok",
  "",
  "not a variable line",
  "SANDBOX_URL=http://127.0.0.1:9999",
].join("\n");

const EXPECTED = {
  API_KEYS: "asm_dev_key=dev,asm_dev_key_other=other",
  SANDBOX_TOKEN: "quoted token",
  SINGLE: "single $NOT_EXPANDED \\n stays",
  BACKTICK: "back tick",
  UNQUOTED: "spaced value",
  EXPORTED: "yes",
  MULTI: "line one\nline two\nline three",
  ESCAPED: "a\nb",
  HASH_IN_QUOTES: "a#b",
  EMPTY: "",
  "lower_case.key-x": "ok",
  SANDBOX_URL: "http://127.0.0.1:9999",
};

const dir = mkdtempSync(join(tmpdir(), "asm-dev-vars-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What wrangler dev binds from the .dev.vars in `dir` (its own loader, not a copy of it). */
function wranglerVars(env?: string): Record<string, string> {
  const bindings = unstable_getVarsForDev(join(dir, "wrangler.toml"), undefined, {}, env, true);
  return Object.fromEntries(Object.entries(bindings).map(([k, b]) => [k, "value" in b ? String(b.value) : ""]));
}

describe("the dev script's .dev.vars reader", () => {
  it("reads quotes, comments, export, multiline values as dotenv and wrangler do", () => {
    writeFileSync(join(dir, ".dev.vars"), TEXT);
    const vars = readDevVars(dir);
    expect(vars).toEqual(EXPECTED);
    expect(vars).toEqual(parse(TEXT));
    expect(vars).toEqual(wranglerVars());
  });

  it("reads .dev.vars.<env> for --env, else .dev.vars, as wrangler does", () => {
    writeFileSync(join(dir, ".dev.vars"), "A=base\n");
    writeFileSync(join(dir, ".dev.vars.staging"), "A=staging\n");
    expect(readDevVars(dir, "staging")).toEqual({ A: "staging" });
    expect(readDevVars(dir, "staging")).toEqual(wranglerVars("staging"));
    expect(readDevVars(dir, "other")).toEqual({ A: "base" });
    expect(readDevVars(dir, "other")).toEqual(wranglerVars("other"));
  });

  it("finds --env in wrangler's arguments", () => {
    expect(wranglerEnvArg(["--port", "1", "--env", "staging"])).toBe("staging");
    expect(wranglerEnvArg(["--env=prod"])).toBe("prod");
    expect(wranglerEnvArg(["-e", "x"])).toBe("x");
    expect(wranglerEnvArg(["--port", "1"])).toBeUndefined();
  });
});

// `.dev.vars` read the way `wrangler dev` reads it (wrangler's src/dev/dev-vars.ts): `dotenv.parse` on the file's
// text, no variable expansion, and with `--env NAME` the file `.dev.vars.NAME` first, else `.dev.vars`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "dotenv";

/** The variables of `.dev.vars` text, exactly as dotenv (and so wrangler) parses them. */
export function parseDevVars(text) {
  return parse(text);
}

/** The `--env` / `-e` value in wrangler's arguments, or undefined. */
export function wranglerEnvArg(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--env" || arg === "-e") return args[i + 1];
    if (arg.startsWith("--env=")) return arg.slice("--env=".length);
  }
  return undefined;
}

/** Reads `<dir>/.dev.vars.<env>` when `env` is given and the file exists, else `<dir>/.dev.vars`; {} when neither. */
export function readDevVars(dir, env) {
  const candidates = env ? [`.dev.vars.${env}`, ".dev.vars"] : [".dev.vars"];
  for (const name of candidates) {
    let text;
    try {
      text = readFileSync(join(dir, name), "utf8");
    } catch (error) {
      if (error?.code === "ENOENT") continue;
      throw error;
    }
    return parseDevVars(text);
  }
  return {};
}

import { changesPrograms } from "./shell/environment";
import { basename } from "./shell/launch";
import { loadBashParser } from "./shell/parser";
import type { Refusal, RefusalReason } from "./shell/refusal";
import { scanArgv, scanScript, type Scan } from "./shell/scan";

/**
 * Shell command rules: `allowed_commands` / `denied_commands` match the basename of every program a
 * command line runs — each command of a pipeline or list, substitutions, the program behind a wrapper
 * (`timeout 5 rm`, `env A=1 rm`, `xargs rm`, `find -exec rm`) and the script of `sh -c '…'`, read with the
 * tree-sitter bash grammar. Names compare case-insensitively; the deny list wins.
 *
 * Fail closed: under a list, a line whose programs cannot all be known before it runs (computed program names,
 * interpreter code, opaque wrappers, eval, source, functions, aliases, syntax errors) is refused.
 */
export type CommandRules = { allowed_commands?: readonly string[]; denied_commands?: readonly string[] };
/** A shell command line, or a program with arguments run without a shell. */
export type CommandInput = string | { command: string; args?: readonly string[] };
/** Names of environment variables the run sets (a PATH or LD_PRELOAD there changes what names mean). */
export type CommandContext = { environment?: readonly string[] };

export type CommandViolation =
  | { reason: "denied_command"; rule: "deny"; command: string; denied_commands: string[] }
  | { reason: "not_allowed"; rule: "allow"; command: string; allowed_commands: string[] }
  | { reason: RefusalReason; rule: "unknowable"; construct: string; text: string };
export type CommandCheck = { ok: true } | { ok: false; message: string; details: CommandViolation };

const key = (name: string) => basename(name).toLowerCase();

/** Everything a command line runs, and what could not be judged. Loads the parser on first use. */
export async function scanCommand(command: CommandInput): Promise<Scan> {
  const parser = await loadBashParser();
  return typeof command === "string" ? scanScript(parser, command) : scanArgv(parser, [command.command, ...(command.args ?? [])]);
}

function refusalOf(refusal: Refusal): CommandCheck {
  return {
    ok: false,
    message: `Command refused under a command list: cannot tell what it runs (${refusal.reason}: ${refusal.construct})`,
    details: { reason: refusal.reason, rule: "unknowable", construct: refusal.construct, text: refusal.text },
  };
}

export async function checkCommand(command: CommandInput, rules: CommandRules, context: CommandContext = {}): Promise<CommandCheck> {
  const denied = (rules.denied_commands ?? []).map(basename);
  const allowed = rules.allowed_commands?.map(basename);
  if (denied.length === 0 && allowed === undefined) return { ok: true }; // no list: nothing to judge, isolation is the boundary

  const scan = await scanCommand(command);
  const deniedKeys = new Set(denied.map(key));
  const hit = scan.programs.find((p) => deniedKeys.has(key(p)));
  if (hit !== undefined) {
    return {
      ok: false,
      message: `Command '${hit}' is denied`,
      details: { reason: "denied_command", rule: "deny", command: hit, denied_commands: denied },
    };
  }
  if (allowed !== undefined) {
    const allowedKeys = new Set(allowed.map(key));
    const miss = scan.programs.find((p) => !allowedKeys.has(key(p)));
    if (miss !== undefined) {
      return {
        ok: false,
        message: `Command '${miss}' is not in the allowed list`,
        details: { reason: "not_allowed", rule: "allow", command: miss, allowed_commands: allowed },
      };
    }
  }
  const environment = (context.environment ?? []).find(changesPrograms);
  if (environment !== undefined) {
    return refusalOf({
      reason: "dynamic_program",
      construct: `environment variable ${environment} (changes which program runs)`,
      text: environment,
    });
  }
  const [refusal] = scan.refusals;
  return refusal ? refusalOf(refusal) : { ok: true };
}

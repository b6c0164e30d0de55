import { parseCommands, type SimpleCommand } from "./shell-words";

/**
 * Shell command rules (SEED §11): `allowed_commands` / `denied_commands` match the basename of each program
 * a command runs — every command of a pipeline or `&&`/`||`/`;` chain, substitutions, the program behind a
 * wrapper (`sudo rm`, `env X=1 rm`, `timeout 5 rm`) and the script of `sh -c '…'`. The deny list wins.
 * Names compare case-insensitively, like tool names.
 */
export type CommandRules = { allowed_commands?: readonly string[]; denied_commands?: readonly string[] };
export type CommandInput = string | { command: string; args?: readonly string[] };
export type CommandCheck =
  | { ok: true }
  | { ok: false; message: string; details: { command: string; rule: "deny"; denied_commands: string[] } | { command: string; rule: "allow"; allowed_commands: string[] } };

function basename(word: string): string {
  const trimmed = word.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash"]);
/** Programs that run the program named after their own options; their option values are skipped. */
const WRAPPERS: Record<string, { valueOptions: ReadonlySet<string>; leadingArgs: number }> = {
  sudo: { valueOptions: new Set(["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"]), leadingArgs: 0 },
  doas: { valueOptions: new Set(["-u", "-C"]), leadingArgs: 0 },
  env: { valueOptions: new Set(["-u", "-C", "-S"]), leadingArgs: 0 },
  exec: { valueOptions: new Set(["-a"]), leadingArgs: 0 },
  command: { valueOptions: new Set(), leadingArgs: 0 },
  builtin: { valueOptions: new Set(), leadingArgs: 0 },
  nohup: { valueOptions: new Set(), leadingArgs: 0 },
  time: { valueOptions: new Set(["-f", "-o"]), leadingArgs: 0 },
  nice: { valueOptions: new Set(["-n"]), leadingArgs: 0 },
  ionice: { valueOptions: new Set(["-c", "-n", "-p"]), leadingArgs: 0 },
  setsid: { valueOptions: new Set(), leadingArgs: 0 },
  stdbuf: { valueOptions: new Set(["-i", "-o", "-e"]), leadingArgs: 0 },
  xargs: { valueOptions: new Set(["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"]), leadingArgs: 0 },
  timeout: { valueOptions: new Set(["-k", "-s"]), leadingArgs: 1 },
  chroot: { valueOptions: new Set(), leadingArgs: 1 },
};

/** The command a wrapper runs: its words after options, option values, assignments and fixed arguments. */
function unwrap(wrapper: string, rest: SimpleCommand): SimpleCommand {
  const spec = WRAPPERS[wrapper];
  if (!spec) return [];
  let i = 0;
  let leading = spec.leadingArgs;
  while (i < rest.length) {
    const word = rest[i] as string;
    if (word === "--") return rest.slice(i + 1);
    if (word.startsWith("-") && word.length > 1) i += spec.valueOptions.has(word) ? 2 : 1;
    else if (wrapper === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) i++;
    else if (leading > 0) {
      leading--;
      i++;
    } else return rest.slice(i);
  }
  return [];
}

/** The script of `sh -c 'script'` (also `-lc`, `-ec`, …), or null. */
function shellScript(args: SimpleCommand): string | null {
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (/^-[a-z]*c[a-z]*$/.test(word)) return args[i + 1] ?? null;
    if (!word.startsWith("-")) return null;
  }
  return null;
}

const MAX_DEPTH = 8;

/** Every program name a simple command runs, itself first, following wrappers and `sh -c`/`eval` scripts. */
function programsOf(words: SimpleCommand, depth: number): string[] {
  const [first, ...rest] = words;
  if (first === undefined || depth > MAX_DEPTH) return [];
  const name = basename(first);
  const inner: string[] = [];
  if (WRAPPERS[name]) inner.push(...programsOf(unwrap(name, rest), depth + 1));
  if (SHELLS.has(name)) {
    const script = shellScript(rest);
    if (script !== null) inner.push(...programsIn(script, depth + 1));
  }
  if (name === "eval") inner.push(...programsIn(rest.join(" "), depth + 1));
  return [name, ...inner];
}

function programsIn(script: string, depth: number): string[] {
  return parseCommands(script).flatMap((words) => programsOf(words, depth));
}

/** The program names a command runs, in order (duplicates kept). Exposed for tests and diagnostics. */
export function commandsOf(command: CommandInput): string[] {
  if (typeof command === "string") return programsIn(command, 0);
  // A program with arguments is not parsed by a shell: only the program and what it wraps are checked.
  return programsOf([command.command, ...(command.args ?? [])], 0);
}

const lower = (s: string) => s.toLowerCase();

export function checkCommand(command: CommandInput, rules: CommandRules): CommandCheck {
  const programs = commandsOf(command).filter((p) => p.length > 0);
  const denied = (rules.denied_commands ?? []).map((c) => basename(c));
  const deniedSet = new Set(denied.map(lower));
  const hit = programs.find((p) => deniedSet.has(lower(p)));
  if (hit !== undefined) {
    return { ok: false, message: `Command '${hit}' is denied`, details: { command: hit, rule: "deny", denied_commands: denied } };
  }
  if (rules.allowed_commands === undefined) return { ok: true };
  const allowed = rules.allowed_commands.map((c) => basename(c));
  const allowedSet = new Set(allowed.map(lower));
  const miss = programs.find((p) => !allowedSet.has(lower(p)));
  if (miss !== undefined) {
    return { ok: false, message: `Command '${miss}' is not in the allowed list`, details: { command: miss, rule: "allow", allowed_commands: allowed } };
  }
  return { ok: true };
}

import { assignedName, changesPrograms } from "./environment";
import { refuse, type Launch } from "./launch";
import type { Word } from "./words";

/**
 * Shell builtins that run code from strings or files, or change what a program name means. They are refused
 * under a list rather than followed: their effect depends on values only known when the line runs.
 */
const STRING_RUNNERS: Readonly<Record<string, (args: readonly Word[]) => string | null>> = {
  eval: () => "eval",
  trap: (args) =>
    args.some((w) => w.kind === "dynamic" || !/^-[lp]+$/.test(w.text)) ? "trap (runs a string as a command on a signal)" : null,
  mapfile: (args) => (hasOption(args, "C") ? "mapfile -C (runs a callback string)" : null),
  readarray: (args) => (hasOption(args, "C") ? "readarray -C (runs a callback string)" : null),
  compgen: (args) => (hasOption(args, "C") || hasOption(args, "F") ? "compgen -C/-F (runs a command or function)" : null),
  complete: (args) => (hasOption(args, "C") || hasOption(args, "F") ? "complete -C/-F (runs a command or function)" : null),
  bind: (args) => (hasOption(args, "x") ? "bind -x (runs a string as a command)" : null),
  fc: () => "fc (re-runs commands from history)",
};

/** Builtins that take variable names, which bash evaluates (`a[$(cmd)]` runs cmd) and which may name PATH. */
const NAME_TAKERS = new Set([
  "read",
  "printf",
  "unset",
  "declare",
  "typeset",
  "local",
  "export",
  "readonly",
  "mapfile",
  "readarray",
  "getopts",
  "test",
  "[",
  "let",
  "wait",
]);
const DECLARERS = new Set(["declare", "typeset", "local"]);
/** `a[…$x…]` or `a[…$(…)…]`: a subscript bash would evaluate as arithmetic. */
const EVALUATED_SUBSCRIPT = /\[[^\]]*[$`]/;

/** Whether a short option letter appears in any option cluster before `--`. */
export function hasOption(args: readonly Word[], letter: string): boolean {
  for (const word of args) {
    if (word.kind !== "static") continue;
    if (word.text === "--") return false;
    if (/^-[A-Za-z]+$/.test(word.text) && word.text.includes(letter)) return true;
  }
  return false;
}

/**
 * The words a builtin reads as variable names (for printf, only the one after `-v`). A computed one could name
 * PATH or carry a subscript, so it is returned as is and refused by the caller.
 */
function nameWords(name: string, args: readonly Word[]): readonly Word[] {
  if (name === "printf") {
    const v = args.findIndex((w) => w.kind === "static" && w.text === "-v");
    return v >= 0 && args[v + 1] !== undefined ? [args[v + 1] as Word] : [];
  }
  // test, let and wait read operands as data; an expansion there is never re-read as a name.
  return name === "test" || name === "[" || name === "let" || name === "wait" ? args.filter((w) => w.kind === "static") : args;
}

/** Builtins that assign to the variables they are given by name (not only `NAME=value`). */
const ASSIGN_BY_NAME = new Set(["read", "printf", "getopts", "mapfile", "readarray"]);

function nameTakerRefusal(name: string, args: readonly Word[]): Launch | null {
  if (DECLARERS.has(name) && (hasOption(args, "i") || hasOption(args, "n"))) {
    return refuse("dynamic_program", `${name} -i/-n (assignments are evaluated as arithmetic or names)`);
  }
  for (const word of nameWords(name, args)) {
    if (word.kind === "dynamic") return refuse("dynamic_program", `${name} with a computed variable name (${word.construct})`);
    const text = word.text;
    if (EVALUATED_SUBSCRIPT.test(text)) return refuse("dynamic_program", `${name} ${text} (an evaluated subscript)`);
    const variable = assignedName(text) ?? (ASSIGN_BY_NAME.has(name) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? text : null);
    if (variable !== null && changesPrograms(variable))
      return refuse("dynamic_program", `${name} ${variable} (changes which program runs)`);
  }
  if (name === "let" && args.some((w) => w.kind === "dynamic" || /[A-Za-z_]/.test(w.text))) {
    return refuse("dynamic_program", "let with variables (arithmetic evaluates variable contents)");
  }
  return null;
}

/** The launches of a builtin with special powers, or null when `name` is an ordinary program. */
export function builtinLaunches(name: string, args: readonly Word[]): Launch[] | null {
  const runner = STRING_RUNNERS[name];
  if (runner) {
    const construct = runner(args);
    return construct === null ? [] : [refuse("eval", construct)];
  }
  if (name === "source" || name === ".") return [refuse("source", `${name} (runs a file as shell code)`)];
  if (name === "alias") return args.length > 0 ? [refuse("alias", "alias (may shadow any program name)")] : [];
  if (name === "enable") return args.length > 0 ? [refuse("dynamic_program", "enable (loads or switches builtins)")] : [];
  if (name === "hash" && hasOption(args, "p")) return [refuse("dynamic_program", "hash -p (binds a name to another program)")];
  if (NAME_TAKERS.has(name)) {
    const refusal = nameTakerRefusal(name, args);
    return refusal ? [refusal] : [];
  }
  return null;
}

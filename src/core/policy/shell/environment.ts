/**
 * Variables that change which program a name runs, or load code into every program: setting one makes the
 * programs of a line unknowable from their names, so under a command list it is refused.
 */
const PROGRAM_CHANGING = new Set([
  "PATH",
  "BASH_ENV",
  "ENV",
  "PS4",
  "SHELLOPTS",
  "BASHOPTS",
  "PROMPT_COMMAND",
  "EXECIGNORE",
  "BASH_LOADABLES_PATH",
]);

export function changesPrograms(name: string): boolean {
  return PROGRAM_CHANGING.has(name) || name.startsWith("LD_") || name.startsWith("BASH_FUNC_");
}

/** The variable a `NAME=value` (or `NAME+=value`) word assigns, or null. */
export function assignedName(word: string): string | null {
  return /^([A-Za-z_][A-Za-z0-9_]*)\+?=/.exec(word)?.[1] ?? null;
}

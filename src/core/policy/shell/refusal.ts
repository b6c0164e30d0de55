/**
 * Why a command line cannot be judged against a command list. Under a list such a line is refused before it
 * runs (fail closed); without a list nothing is parsed or refused.
 */
export const REFUSAL_REASONS = [
  "dynamic_program", // the program (or what decides it) is computed: substitution, variable, glob, PATH, …
  "interpreter_script", // code handed to an interpreter: a script file, stdin, `-c`/`-e` code we cannot read
  "nested_program", // a wrapper starts a program we cannot see through (unknown option, `env -S`, `ssh`, …)
  "eval", // `eval`, `trap`, `mapfile -C` …: a string run as shell code later
  "source", // `source` / `.`: a file run as shell code
  "function_definition", // a function defined in the line may shadow any program name
  "alias", // an alias defined in the line may shadow any program name
  "parse_error", // the grammar reports an error: we would be guessing what the shell does
  "unsupported_construct", // syntax this checker does not model, refused rather than skipped
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** One construct that could not be judged; `construct` names it for the message, `text` is the source slice. */
export type Refusal = { reason: RefusalReason; construct: string; text: string };

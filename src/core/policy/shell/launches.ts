import { builtinLaunches } from "./builtins";
import { findLaunches } from "./find";
import { interpreterLaunches } from "./interpreters";
import type { Launch } from "./launch";
import { wrapperLaunches } from "./wrappers";
import type { Word } from "./words";

/**
 * Everything a program starts besides itself, judged from its name (lower-cased, as lists compare) and its
 * arguments. An ordinary program starts nothing we can know of.
 */
export function launchesOf(program: string, args: readonly Word[]): Launch[] {
  const name = program.toLowerCase();
  if (name === "find") return findLaunches(args);
  return wrapperLaunches(name, args) ?? interpreterLaunches(name, args) ?? builtinLaunches(name, args) ?? [];
}

import { refuse, runs, type Launch } from "./launch";
import { withInput } from "./wrappers";
import type { Word } from "./words";

const EXEC_ACTIONS = new Set(["-exec", "-execdir", "-ok", "-okdir"]);

/** `find … -exec prog args {} ;` runs `prog` once per file (or batched with `+`); `{}` stands for the files. */
export function findLaunches(args: readonly Word[]): Launch[] {
  const launches: Launch[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as Word;
    // A computed word could itself be `-exec`.
    if (word.kind === "dynamic") return [refuse("dynamic_program", `find with a computed argument (${word.construct})`)];
    if (!EXEC_ACTIONS.has(word.text)) continue;
    let end = i + 1;
    for (; end < args.length; end++) {
      const text = (args[end] as Word).kind === "static" ? (args[end] as { text: string }).text : null;
      if (text === ";" || (text === "+" && (args[end - 1] as { text?: string }).text === "{}")) break;
    }
    const inner = args.slice(i + 1, end);
    if (inner.length > 0) launches.push(runs(withInput(inner, "{}", `find ${word.text}`)));
    i = end;
  }
  return launches;
}

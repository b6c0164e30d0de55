import type { RefusalReason } from "./refusal";
import type { Word } from "./words";

/** What one program starts besides itself: another argv, a shell script, nothing, or something unknowable. */
export type Launch =
  | { kind: "program"; words: Word[] }
  | { kind: "script"; text: string }
  | { kind: "refuse"; reason: RefusalReason; construct: string };

export const refuse = (reason: RefusalReason, construct: string): Launch => ({ kind: "refuse", reason, construct });
export const runs = (words: Word[]): Launch => ({ kind: "program", words });
export const dynamicWord = (construct: string): Word => ({ kind: "dynamic", construct });

/** The last path segment, as lists compare programs (`/bin/rm` and `rm` are the same program). */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

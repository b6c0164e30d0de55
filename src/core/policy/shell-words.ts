/**
 * A small POSIX-shell reader, just enough to find which programs a command line runs: it splits on
 * `; & | && || ( )` and newlines, honours quotes and backslashes, skips redirections and leading
 * `NAME=value` assignments, and reads `$(…)`, `` `…` `` and `<(…)` substitutions as command lists of their own.
 * It does not expand variables or aliases, so a rule can still be dodged (`$CMD`); an allow list is the guard.
 */

/** One simple command: its words, with assignments and redirections already removed. */
export type SimpleCommand = string[];

/** Stands in for a substitution's output: a program named by it is unknown, so no allow list admits it. */
export const SUBSTITUTION = "$(…)";

type Token = { kind: "word"; text: string } | { kind: "separator" } | { kind: "redirect" };

const OPERATOR_CHARS = new Set([";", "&", "|", "<", ">", "(", ")", "\n"]);
const TWO_CHAR_OPERATORS = new Set(["&&", "||", ";;", ">>", ">&", "&>", "<<", "<&", "<>", ">|", "|&"]);

/** Index just past the `)` closing a `$(` or `<(` opened before `start`, counting nested parens. */
function closingParen(src: string, start: number): number {
  let depth = 1;
  let quote: "'" | '"' | null = null;
  for (let i = start; i < src.length; i++) {
    const ch = src[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === "\\") i++;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i + 1;
  }
  return src.length;
}

function tokenize(src: string, nested: SimpleCommand[]): Token[] {
  const tokens: Token[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) tokens.push({ kind: "word", text: word });
    word = "";
    inWord = false;
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    const next = src[i + 1];
    if ((ch === "$" || ch === "<" || ch === ">") && next === "(") {
      const end = closingParen(src, i + 2);
      nested.push(...parseCommands(src.slice(i + 2, end - 1)));
      word += SUBSTITUTION; // stands for the substitution's output
      inWord = true;
      i = end;
    } else if (ch === "`") {
      const end = src.indexOf("`", i + 1);
      const stop = end < 0 ? src.length : end;
      nested.push(...parseCommands(src.slice(i + 1, stop)));
      word += SUBSTITUTION;
      inWord = true;
      i = stop + 1;
    } else if (ch === "'") {
      const end = src.indexOf("'", i + 1);
      const stop = end < 0 ? src.length : end;
      word += src.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
    } else if (ch === '"') {
      i = readDoubleQuoted(src, i + 1, nested, (text) => (word += text));
      inWord = true;
    } else if (ch === "\\") {
      if (next !== undefined && next !== "\n") word += next;
      inWord = inWord || next !== "\n";
      i += 2;
    } else if (ch === "#" && !inWord) {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end;
    } else if (OPERATOR_CHARS.has(ch)) {
      // A lone number right before `>`/`<` is a file descriptor (`2>&1`), not a word.
      if ((ch === ">" || ch === "<") && /^\d+$/.test(word)) {
        word = "";
        inWord = false;
      }
      endWord();
      const pair = src.slice(i, i + 2);
      const op = TWO_CHAR_OPERATORS.has(pair) ? pair : ch;
      tokens.push(op.includes("<") || op.includes(">") ? { kind: "redirect" } : { kind: "separator" });
      i += op.length;
    } else if (ch === " " || ch === "\t" || ch === "\r") {
      endWord();
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  endWord();
  return tokens;
}

/** Reads a "…" string from `start` (just past the quote); returns the index after the closing quote. */
function readDoubleQuoted(src: string, start: number, nested: SimpleCommand[], append: (text: string) => void): number {
  let i = start;
  while (i < src.length && src[i] !== '"') {
    const ch = src[i] as string;
    if (ch === "\\" && i + 1 < src.length) {
      append(src[i + 1] as string);
      i += 2;
    } else if (ch === "$" && src[i + 1] === "(") {
      const end = closingParen(src, i + 2);
      nested.push(...parseCommands(src.slice(i + 2, end - 1)));
      append(SUBSTITUTION);
      i = end;
    } else if (ch === "`") {
      const end = src.indexOf("`", i + 1);
      const stop = end < 0 ? src.length : end;
      nested.push(...parseCommands(src.slice(i + 1, stop)));
      append(SUBSTITUTION);
      i = stop + 1;
    } else {
      append(ch);
      i++;
    }
  }
  return i + 1;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;
/** Reserved words that open or close a compound command; the program follows them. */
const RESERVED = new Set(["{", "}", "!", "then", "else", "elif", "do", "if", "while", "until", "fi", "done", "esac"]);
/** Headers whose words are not programs (`for x in a b`); their bodies follow a separator. */
const HEADERS = new Set(["for", "case", "select"]);

/** Splits a command line into its simple commands, substitutions included, in order. */
export function parseCommands(src: string): SimpleCommand[] {
  const nested: SimpleCommand[] = [];
  const tokens = tokenize(src, nested);
  const commands: SimpleCommand[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0 && !HEADERS.has(current[0] as string)) commands.push(current);
    current = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind === "separator") flush();
    else if (token.kind === "redirect") {
      if (tokens[i + 1]?.kind === "word") i++; // the redirection's target
    } else if (current.length === 0 && (ASSIGNMENT.test(token.text) || RESERVED.has(token.text))) {
      continue;
    } else current.push(token.text);
  }
  flush();
  return [...commands, ...nested];
}

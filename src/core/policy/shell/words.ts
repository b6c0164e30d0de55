import type { Node } from "web-tree-sitter";

/**
 * A shell word after quote removal, or the construct that keeps it from being known before the shell runs.
 * `unquoted` marks which characters were unquoted (a quoted character is `\0` there), so glob and brace
 * characters are only special where the shell would treat them so.
 */
export type Word = { kind: "static"; text: string; unquoted: string } | { kind: "dynamic"; construct: string };

const quoted = (text: string): Word => ({ kind: "static", text, unquoted: "\0".repeat(text.length) });
const dynamic = (construct: string): Word => ({ kind: "dynamic", construct });

/** A bare word: a backslash quotes the next character, and backslash-newline disappears. */
function bareWord(source: string): Word {
  let text = "";
  let unquoted = "";
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch === "\\" && i + 1 < source.length) {
      const next = source[++i] as string;
      if (next !== "\n") {
        text += next;
        unquoted += "\0";
      }
    } else {
      text += ch;
      unquoted += ch;
    }
  }
  return { kind: "static", text, unquoted };
}

/** Inside "…" a backslash only quotes `$ \` " \` and newline. */
function doubleQuotedContent(source: string): string {
  return source.replace(/\\([$`"\\\n])/g, (_, ch: string) => (ch === "\n" ? "" : ch));
}

const C_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  e: "\x1b",
  E: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "?": "?",
};

/** `$'…'` with its C escapes decoded; null for an escape we do not decode (the caller then refuses). */
export function decodeAnsiC(body: string): string | null {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const rest = body.slice(i + 1);
    const simple = C_ESCAPES[rest[0] ?? ""];
    const numeric = /^(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3})/.exec(rest);
    if (simple !== undefined) {
      out += simple;
      i += 1;
    } else if (numeric) {
      const digits = numeric[0];
      const value = /^[0-7]/.test(digits) ? parseInt(digits, 8) : parseInt(digits.slice(1), 16);
      out += String.fromCodePoint(value);
      i += digits.length;
    } else return null;
  }
  return out;
}

function concat(parts: Word[]): Word {
  let text = "";
  let unquoted = "";
  for (const part of parts) {
    if (part.kind === "dynamic") return part;
    text += part.text;
    unquoted += part.unquoted;
  }
  return { kind: "static", text, unquoted };
}

function expansionConstruct(node: Node): string {
  switch (node.type) {
    case "command_substitution":
      return node.text.startsWith("`") ? "backticks" : "command substitution";
    case "process_substitution":
      return "process substitution";
    case "arithmetic_expansion":
      return "arithmetic expansion";
    case "simple_expansion":
    case "expansion":
      return `variable ${node.text}`;
    case "translated_string":
      return "translated string";
    default:
      return node.type.replace(/_/g, " ");
  }
}

const children = (node: Node): Node[] => node.children.filter((c): c is Node => c !== null);

/**
 * Joins the parts of a word, provided they cover all of its text: the grammar can leave characters out of its
 * child nodes, and a word we read differently from the shell must not be judged.
 */
function tiled(node: Node, pieces: Word[]): Word {
  const covered = children(node).reduce((sum, child) => sum + child.text.length, 0);
  return covered === node.text.length ? concat(pieces) : dynamic(`word the grammar splits unevenly (${node.text})`);
}

/** "…": literal text and lone `$` are quoted characters; any expansion makes the word computed. */
function stringWord(node: Node): Word {
  const pieces = children(node).map((child) => {
    if (child.type === '"') return quoted("");
    if (child.type === "string_content") return quoted(doubleQuotedContent(child.text));
    return child.isNamed ? dynamic(expansionConstruct(child)) : quoted(child.text);
  });
  return tiled(node, pieces);
}

/** The parts of one word, before glob and brace checks. */
function parts(node: Node): Word {
  switch (node.type) {
    case "word":
    case "number":
    case "variable_name": // a name as written (`unset PATH`), not its value
      return bareWord(node.text);
    case "raw_string":
      return quoted(node.text.slice(1, -1));
    case "ansi_c_string": {
      const decoded = decodeAnsiC(node.text.slice(2, -1));
      return decoded === null ? dynamic("ANSI-C escape") : quoted(decoded);
    }
    case "string":
      return stringWord(node);
    case "concatenation":
      return tiled(
        node,
        children(node).map((child) => (child.isNamed ? parts(child) : bareWord(child.text))),
      );
    default:
      return dynamic(expansionConstruct(node));
  }
}

/** Unquoted `*`, `?` or `[…]` make a pathname pattern; unquoted `{a,b}` / `{1..3}` a brace expansion. */
const GLOB = /[*?]|\[[^\]]*\]/;
const BRACES = /\{[^{}]*(,|\.\.)[^{}]*\}/;

/** Resolves one word node as the shell would before running the command, or names why it cannot. */
export function resolveWord(node: Node): Word {
  const word = parts(node);
  if (word.kind === "dynamic") return word;
  if (GLOB.test(word.unquoted)) return dynamic(`glob ${node.text}`);
  if (BRACES.test(word.unquoted)) return dynamic(`brace expansion ${node.text}`);
  return word;
}

/** A word given as an argv entry (no shell): always what it says. */
export function literalWord(text: string): Word {
  return quoted(text);
}

import type { Node, Parser } from "web-tree-sitter";
import { changesPrograms } from "./environment";
import { basename } from "./launch";
import { launchesOf } from "./launches";
import type { Refusal, RefusalReason } from "./refusal";
import { literalWord, resolveWord, type Word } from "./words";

/** The programs a command line runs (basenames, in order, duplicates kept) and what could not be judged. */
export type Scan = { programs: string[]; refusals: Refusal[] };

/** Wrappers inside `sh -c` inside wrappers…: deeper than this is refused rather than followed. */
const MAX_DEPTH = 8;

/** Nodes that only group or hold other nodes; their children are scanned in turn. */
const CONTAINERS = new Set([
  "program",
  "list",
  "pipeline",
  "subshell",
  "do_group",
  "redirected_statement",
  "negated_command",
  "if_statement",
  "elif_clause",
  "else_clause",
  "while_statement",
  "case_statement",
  "case_item",
  "variable_assignments",
  "heredoc_redirect",
  "heredoc_body",
  "file_redirect",
  "herestring_redirect",
  "string",
  "concatenation",
  "array",
  "command_substitution",
  "process_substitution",
  "binary_expression",
  "unary_expression",
  "ternary_expression",
  "postfix_expression",
  "parenthesized_expression",
  "translated_string",
]);
/** Leaves that run nothing. */
const LEAVES = new Set([
  "word",
  "number",
  "raw_string",
  "ansi_c_string",
  "string_content",
  "comment",
  "heredoc_start",
  "heredoc_end",
  "heredoc_content",
  "file_descriptor",
  "variable_name",
  "special_variable_name",
  "simple_expansion",
  "regex",
  "test_operator",
  "extglob_pattern",
  "brace_expression",
]);
/**
 * Reserved words the grammar reads as plain words after `time` or `coproc` (`time { rm x; }` parses as the
 * program `time` with arguments `{ rm x;` and a command `}`). Where one stands as a program or follows those
 * keywords, what runs is hidden from the tree, so the line is refused.
 */
const RESERVED_WORDS = new Set([
  "{",
  "}",
  "(",
  ")",
  "!",
  "[[",
  "]]",
  "((",
  "))",
  "if",
  "then",
  "elif",
  "else",
  "fi",
  "case",
  "esac",
  "for",
  "select",
  "while",
  "until",
  "do",
  "done",
  "in",
  "function",
  "time",
  "coproc",
]);
const KEYWORD_PREFIXES = new Set(["time", "coproc"]);

/** Nodes that stand for one shell word. */
const WORD_TYPES = new Set([
  "word",
  "number",
  "string",
  "raw_string",
  "ansi_c_string",
  "translated_string",
  "concatenation",
  "simple_expansion",
  "expansion",
  "command_substitution",
  "process_substitution",
  "arithmetic_expansion",
  "brace_expression",
]);

/** `[[ a -eq b ]]` compares as arithmetic, which evaluates variable contents (`a[$(cmd)]` runs cmd). */
const ARITHMETIC_TESTS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);

const namedChildren = (node: Node): Node[] => node.namedChildren.filter((c): c is Node => c !== null);
const children = (node: Node): Node[] => node.children.filter((c): c is Node => c !== null);

/** Walks a parsed line and every script it hands to a shell, collecting programs; refuses what it cannot know. */
class Scanner {
  readonly programs: string[] = [];
  readonly refusals: Refusal[] = [];

  constructor(private readonly parser: Parser) {}

  private refuse(reason: RefusalReason, construct: string, text: string): void {
    this.refusals.push({ reason, construct, text: text.length > 200 ? `${text.slice(0, 200)}…` : text });
  }

  script(source: string, depth: number): void {
    if (depth > MAX_DEPTH) return this.refuse("nested_program", `more than ${MAX_DEPTH} nested shells or wrappers`, source);
    const tree = this.parser.parse(source);
    if (!tree) return this.refuse("parse_error", "the line could not be parsed", source);
    try {
      if (tree.rootNode.hasError) this.refuse("parse_error", "the grammar reports a syntax error", source);
      this.visit(tree.rootNode, depth);
    } finally {
      tree.delete();
    }
  }

  /** One program run with these words: record it, then follow what it starts. */
  invocation(words: readonly Word[], depth: number, text: string): void {
    const [first, ...args] = words;
    if (first === undefined) return;
    if (first.kind === "dynamic") return this.refuse("dynamic_program", `program is computed (${first.construct})`, text);
    const name = basename(first.text);
    if (name === "") return;
    if (RESERVED_WORDS.has(first.text) && !KEYWORD_PREFIXES.has(first.text))
      return this.refuse("unsupported_construct", `keyword ${first.text} read as a program`, text);
    if (KEYWORD_PREFIXES.has(name) && args.some((w) => w.kind === "static" && RESERVED_WORDS.has(w.text))) {
      return this.refuse("unsupported_construct", `${name} with a compound command`, text);
    }
    this.programs.push(name);
    if (depth > MAX_DEPTH) return this.refuse("nested_program", `more than ${MAX_DEPTH} nested shells or wrappers`, text);
    for (const launch of launchesOf(name, args)) {
      if (launch.kind === "program") this.invocation(launch.words, depth + 1, text);
      else if (launch.kind === "script") this.script(launch.text, depth + 1);
      else this.refuse(launch.reason, launch.construct, text);
    }
  }

  private visit(node: Node, depth: number): void {
    switch (node.type) {
      case "command":
        return this.command(node, depth);
      case "declaration_command":
      case "unset_command":
        return this.declaration(node, depth);
      case "variable_assignment":
        return this.assignment(node, depth);
      case "function_definition":
        this.refuse(
          "function_definition",
          `function ${node.childForFieldName("name")?.text ?? ""} (may shadow any program name)`,
          node.text,
        );
        return this.visitChildren(node, depth);
      case "for_statement":
        this.checkAssigned(node.childForFieldName("variable"), node);
        return this.visitChildren(node, depth);
      case "compound_statement":
        return children(node)[0]?.type === "((" ? this.arithmetic(node, depth) : this.visitChildren(node, depth);
      case "arithmetic_expansion":
        return this.arithmetic(node, depth);
      case "c_style_for_statement":
        for (const field of ["initializer", "condition", "update"]) {
          for (const part of node.childrenForFieldName(field)) if (part) this.arithmeticPart(part, node, depth);
        }
        for (const body of node.childrenForFieldName("body")) if (body) this.visit(body, depth);
        return;
      case "test_command":
        return this.test(node, depth);
      case "expansion":
        return this.expansion(node, depth);
      case "subscript":
        return this.subscript(node, depth);
      case "ERROR":
        return this.refuse("parse_error", "the grammar reports a syntax error", node.text);
      default:
        if (CONTAINERS.has(node.type)) return this.visitChildren(node, depth);
        if (LEAVES.has(node.type)) return;
        return this.refuse("unsupported_construct", node.type.replace(/_/g, " "), node.text);
    }
  }

  private visitChildren(node: Node, depth: number): void {
    for (const child of namedChildren(node)) this.visit(child, depth);
  }

  /** A simple command: assignments and redirections first (their substitutions run), then the program. */
  private command(node: Node, depth: number): void {
    const name = node.childForFieldName("name");
    const argumentNodes = node.childrenForFieldName("argument").filter((c): c is Node => c !== null);
    const argumentIds = new Set(argumentNodes.map((a) => a.id));
    // A word the grammar did not mark as an argument would shift where a wrapper's program starts.
    const stray = namedChildren(node).find((c) => WORD_TYPES.has(c.type) && !argumentIds.has(c.id));
    if (stray) this.refuse("unsupported_construct", `word ${stray.text} outside the command's arguments`, node.text);
    for (const child of namedChildren(node)) {
      if (child.type === "command_name") namedChildren(child).forEach((part) => this.visit(part, depth));
      else this.visit(child, depth); // arguments, assignments, redirections: substitutions inside them run
    }
    if (!name) return;
    const nameNode = namedChildren(name)[0] ?? name;
    this.invocation([resolveWord(nameNode), ...argumentNodes.map(resolveWord)], depth, node.text);
  }

  /** `declare`/`export`/`local`/`readonly`/`typeset`/`unset` are parsed apart from commands; judge them as one. */
  private declaration(node: Node, depth: number): void {
    const keyword = children(node)[0]?.text ?? node.type;
    // Assignments are checked as assignments; the other words are options and names.
    const words = namedChildren(node)
      .filter((child) => child.type !== "variable_assignment")
      .map(resolveWord);
    this.visitChildren(node, depth);
    this.invocation([literalWord(keyword), ...words], depth, node.text);
  }

  private assignment(node: Node, depth: number): void {
    this.checkAssigned(node.childForFieldName("name"), node);
    this.visitChildren(node, depth);
  }

  /** Setting PATH, LD_PRELOAD, BASH_ENV … changes what every later program name means. */
  private checkAssigned(nameNode: Node | null, node: Node): void {
    const name = nameNode?.type === "subscript" ? nameNode.childForFieldName("name")?.text : nameNode?.text;
    if (name && changesPrograms(name)) this.refuse("dynamic_program", `assignment to ${name} (changes which program runs)`, node.text);
  }

  /**
   * Arithmetic evaluates the contents of any variable it names, and bash runs `$(…)` found in a subscript
   * there: a variable in arithmetic is a computed command. Literal numbers, operators and `$(…)` are fine.
   */
  private arithmetic(node: Node, depth: number): void {
    namedChildren(node).forEach((child) => this.arithmeticPart(child, node, depth));
  }

  private arithmeticPart(part: Node, context: Node, depth: number): void {
    if (part.type === "number" || part.type === "test_operator") return;
    if (part.type === "command_substitution") return this.visit(part, depth);
    if (part.type.endsWith("_expression") || part.type === "arithmetic_expansion" || part.type === "variable_assignment")
      return this.arithmetic(part, depth);
    this.refuse("dynamic_program", `arithmetic on ${part.text} (evaluates variable contents)`, context.text);
  }

  private test(node: Node, depth: number): void {
    const doubleBracket = children(node)[0]?.type === "[[";
    const visitExpression = (expr: Node): void => {
      const operator = expr.childForFieldName("operator");
      if (doubleBracket && expr.type === "binary_expression" && operator && ARITHMETIC_TESTS.has(operator.text)) {
        return this.arithmetic(expr, depth);
      }
      if (expr.type === "word" || expr.type === "raw_string" || expr.type === "string") {
        const word = resolveWord(expr);
        if (word.kind === "static" && /\[[^\]]*[$`]/.test(word.text))
          this.refuse("dynamic_program", `test on ${word.text} (an evaluated subscript)`, node.text);
      }
      if (CONTAINERS.has(expr.type)) namedChildren(expr).forEach(visitExpression);
      else this.visit(expr, depth);
    };
    namedChildren(node).forEach(visitExpression);
  }

  /**
   * `${…}`: defaults and patterns are words (their substitutions run); indirection (`${!x}`), prompt
   * expansion (`${x@P}`) and substring offsets (arithmetic) evaluate contents, so they are refused.
   */
  private expansion(node: Node, depth: number): void {
    const tokens = children(node);
    const operators = tokens.filter((t) => !t.isNamed).map((t) => t.type);
    if (operators[1] === "!") return this.refuse("dynamic_program", `indirect expansion ${node.text}`, node.text);
    const at = operators.indexOf("@");
    if (at >= 0 && operators[at + 1] === "P") return this.refuse("dynamic_program", `prompt expansion ${node.text}`, node.text);
    let arithmetic = false;
    for (const token of tokens) {
      if (!token.isNamed) {
        if (token.type === ":") arithmetic = true; // `${x:offset:length}`
        continue;
      }
      if (arithmetic) this.arithmeticPart(token, node, depth);
      else this.visit(token, depth);
    }
  }

  /** `a[i]`: an indexed array's subscript is arithmetic; a literal index, `@` or `*` is fine. */
  private subscript(node: Node, depth: number): void {
    const index = node.childForFieldName("index");
    if (index && !(index.type === "number" || (index.type === "word" && /^[0-9@*]+$/.test(index.text)))) {
      if (index.type === "command_substitution") this.visit(index, depth);
      else this.refuse("dynamic_program", `subscript ${node.text} (evaluated as arithmetic)`, node.text);
    }
  }
}

/** Scans a shell command line. */
export function scanScript(parser: Parser, source: string): Scan {
  const scanner = new Scanner(parser);
  scanner.script(source, 0);
  return { programs: scanner.programs, refusals: scanner.refusals };
}

/** Scans an argv run without a shell (`{command, args}`): its program, and whatever that program starts. */
export function scanArgv(parser: Parser, argv: readonly string[]): Scan {
  const scanner = new Scanner(parser);
  scanner.invocation(argv.map(literalWord), 0, argv.join(" "));
  return { programs: scanner.programs, refusals: scanner.refusals };
}

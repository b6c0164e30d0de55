import { refuse, type Launch } from "./launch";
import type { Word } from "./words";

/**
 * Programs that run code given to them. A shell's `-c` string is bash we can parse, so it is followed; awk and
 * sed programs are read for the parts that start commands; any other code (a script file, stdin, `-e`) is
 * unknowable and refused.
 */

/** Shells whose `-c` script the bash grammar reads correctly. */
const PARSED_SHELLS = new Set(["sh", "bash", "dash", "ash", "rbash"]);
const OTHER_SHELLS = new Set(["zsh", "ksh", "mksh", "pdksh", "yash", "posh", "fish", "csh", "tcsh", "elvish", "nu", "xonsh", "pwsh", "powershell"]);
const INTERPRETER = new RegExp(
  "^(python|pypy|perl|ruby|irb|php|lua|luajit|tclsh|wish|expect|node|nodejs|deno|bun|rscript|r|julia|groovy|scala|jshell|" +
    "java|jrunscript|osascript|guile|racket|sbcl|clisp|ocaml|ghci|runghc|swift|octave|gdb|ed|ex|vi|vim|nvim|emacs|sqlite3?)[0-9.]*$",
);
/** Arguments that only print information, so an interpreter given nothing else runs no code. */
const INFO_ONLY = new Set(["--version", "-V", "--help", "-h"]);

/** bash/sh option letters that only set shell options. */
const SHELL_FLAGS = new Set([..."abefhkmnptuvxBCEHPTrD"]);
const SHELL_LONG_FLAGS = new Set(["--norc", "--noprofile", "--posix", "--restricted", "--noediting", "--verbose", "--help", "--version"]);

function shellLaunches(name: string, args: readonly Word[]): Launch[] {
  let command = false;
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i] as Word;
    if (word.kind === "dynamic") break; // judged below as the script or script file it may be
    const text = word.text;
    if (text === "--" || text === "-") {
      i++;
      break;
    }
    if (text.startsWith("--")) {
      if (SHELL_LONG_FLAGS.has(text)) continue;
      const construct = text === "--login" ? `${name} --login (runs profile files)` : `${name} ${text}`;
      return [refuse("interpreter_script", construct)];
    }
    if (!/^[-+]./.test(text)) break;
    for (const letter of text.slice(1)) {
      if (letter === "c") command = true;
      else if (letter === "o" || letter === "O") i++; // `-o errexit`, `-O extglob`: the next word is the option name
      else if (letter === "s" || letter === "i") return [refuse("interpreter_script", `${name} -${letter} (reads commands from stdin)`)];
      else if (letter === "l") return [refuse("interpreter_script", `${name} -l (runs profile files)`)];
      else if (!SHELL_FLAGS.has(letter)) return [refuse("interpreter_script", `${name} -${letter} (an option this checker does not know)`)];
    }
  }
  const operand = args[i];
  if (operand?.kind === "dynamic" && !command) return [refuse("dynamic_program", `${name} with a computed argument (${operand.construct})`)];
  if (!command) {
    const construct = operand?.kind === "static" ? `${name} ${operand.text} (a script file)` : `${name} reading commands from stdin`;
    return [refuse("interpreter_script", construct)];
  }
  if (operand === undefined) return []; // `sh -c` without a script is an error, nothing runs
  if (operand.kind === "dynamic") return [refuse("dynamic_program", `${name} -c with a computed script (${operand.construct})`)];
  return [{ kind: "script", text: operand.text }];
}

/** How an awk or sed reads its options. */
type OptionSpec = {
  /** Options whose value is program text. */
  text: readonly string[];
  /** Options whose value is data. */
  value: readonly string[];
  /** Short options whose value, if any, is attached (`sed -i.bak`). */
  optional?: readonly string[];
  /** Options naming a program file or extension: unknowable. */
  file: readonly string[];
  flags: readonly string[];
  /** Options that switch command execution off. */
  sandbox: readonly string[];
  /** GNU getopt permutes: an option may follow operands, so any computed word could be one. */
  permute: boolean;
};
type ProgramOptions = { texts: string[]; operands: Word[]; sandbox: boolean };

function optionKind(spec: OptionSpec, option: string): "text" | "value" | "optional" | "file" | "flag" | "sandbox" | "unknown" {
  if (spec.file.includes(option)) return "file";
  if (spec.text.includes(option)) return "text";
  if (spec.value.includes(option)) return "value";
  if (spec.optional?.includes(option)) return "optional";
  if (spec.sandbox.includes(option)) return "sandbox";
  return spec.flags.includes(option) ? "flag" : "unknown";
}

function readProgramOptions(name: string, args: readonly Word[], spec: OptionSpec): ProgramOptions | Launch {
  const found: ProgramOptions = { texts: [], operands: [], sandbox: false };
  let optionsEnded = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as Word;
    if (optionsEnded) {
      found.operands.push(word);
      continue;
    }
    if (word.kind === "dynamic") {
      if (spec.permute) return refuse("dynamic_program", `${name} with a computed argument (${word.construct}), which could be an option`);
      found.operands.push(word);
      optionsEnded = true;
      continue;
    }
    const text = word.text;
    if (text === "--") {
      optionsEnded = true;
      continue;
    }
    if (!/^-./.test(text)) {
      found.operands.push(word);
      optionsEnded = !spec.permute;
      continue;
    }
    const nextWord = () => {
      const next = args[++i];
      return next?.kind === "static" ? next.text : null;
    };
    /** One option with its attached value (or null); a refusal, or null to go on. */
    const take = (option: string, attached: string | null): Launch | null => {
      const kind = optionKind(spec, option);
      if (kind === "file") return refuse("interpreter_script", `${name} ${option} (a program file)`);
      if (kind === "unknown") return refuse("interpreter_script", `${name} ${option} (an option this checker does not know)`);
      if (kind === "sandbox") found.sandbox = true;
      if (kind === "value" && attached === null) nextWord();
      if (kind === "text") {
        const program = attached ?? nextWord();
        if (program === null) return refuse("dynamic_program", `${name} ${option} with a computed program`);
        found.texts.push(program);
      }
      return null;
    };
    if (text.startsWith("--")) {
      const option = text.split("=", 1)[0] as string;
      const refusal = take(option, text.includes("=") ? text.slice(option.length + 1) : null);
      if (refusal) return refusal;
      continue;
    }
    for (let j = 1; j < text.length; j++) {
      const option = `-${text[j]}`;
      const kind = optionKind(spec, option);
      const rest = text.slice(j + 1);
      const refusal = take(option, kind === "flag" || kind === "sandbox" || rest === "" ? null : rest);
      if (refusal) return refusal;
      if (kind !== "flag" && kind !== "sandbox") break; // the rest of the cluster was this option's value
    }
  }
  return found;
}

/** The program text of an awk/sed call: from options, else the first operand. */
function programTexts(name: string, found: ProgramOptions): string[] | Launch {
  if (found.texts.length > 0) return found.texts;
  const first = found.operands[0];
  if (first === undefined) return [];
  if (first.kind === "dynamic") return refuse("dynamic_program", `${name} with a computed program (${first.construct})`);
  return [first.text];
}

/** awk runs commands through `system()`, pipes (`print | "cmd"`, `"cmd" | getline`) and gawk's `@load`. */
function awkLaunches(name: string, args: readonly Word[]): Launch[] {
  const found = readProgramOptions(name, args, {
    text: ["-e", "--source"], value: ["-v", "--assign", "-F", "--field-separator"], file: ["-f", "--file", "-E", "--exec", "-i", "--include", "-l", "--load"],
    flags: ["-b", "--characters-as-bytes", "-c", "--traditional", "-P", "--posix", "-r", "--re-interval", "-N", "--use-lc-numeric", "-O", "--optimize", "-s", "--no-optimize"],
    sandbox: ["-S", "--sandbox"],
    permute: false, // gawk and mawk stop reading options at the program text
  });
  if ("kind" in found) return [found];
  const texts = programTexts(name, found);
  if ("kind" in texts) return [texts];
  if (found.sandbox) return [];
  return texts.some((t) => /system|\||@/.test(t)) ? [refuse("interpreter_script", `${name} program that can run commands (system, pipes or @load)`)] : [];
}

/** Skips a sed regex or replacement delimited by `delim` from `start`; returns the index after the closing delimiter. */
function skipDelimited(script: string, start: number, delim: string, brackets: boolean): number {
  for (let i = start; i < script.length; i++) {
    const ch = script[i];
    if (ch === "\\") i++;
    else if (ch === delim) return i + 1;
    else if (brackets && ch === "[") {
      // In a bracket expression the delimiter is literal; `]` right after `[` or `[^` is part of the set.
      let j = i + 1;
      if (script[j] === "^") j++;
      if (script[j] === "]") j++;
      for (; j < script.length && script[j] !== "]"; j++) {
        if (script[j] === "[" && /[:.=]/.test(script[j + 1] ?? "")) {
          const close = script.indexOf(`${script[j + 1]}]`, j + 2);
          if (close < 0) return -1;
          j = close + 1;
        }
      }
      if (j >= script.length) return -1;
      i = j;
    }
  }
  return -1;
}

const SED_SIMPLE = new Set([..."{}=dDgGhHnNpPxzFlLqQ"]);

/**
 * Whether a sed script can run a command: the `e` command or the `s///e` flag. It reads the script command by
 * command; anything it does not recognise counts as "can run" (fail closed).
 */
export function sedCanExecute(script: string): boolean {
  const toLineEnd = (from: number) => {
    const end = script.indexOf("\n", from);
    return end < 0 ? script.length : end;
  };
  let i = 0;
  while (i < script.length) {
    const ch = script[i] as string;
    if (/[\s;]/.test(ch)) i++;
    else if (ch === "#") i = toLineEnd(i);
    else if (/[0-9$,~!]/.test(ch)) i++; // line addresses, ranges, steps and negation
    else if (ch === "/" || ch === "\\") {
      const delim = ch === "/" ? "/" : script[i + 1];
      if (delim === undefined || delim === "\n" || delim === "\\") return true;
      i = skipDelimited(script, ch === "/" ? i + 1 : i + 2, delim, true);
      if (i < 0) return true;
      while (/[IM]/.test(script[i] ?? "")) i++; // address regex flags
    } else if (SED_SIMPLE.has(ch)) i = ch === "l" || ch === "L" || ch === "q" || ch === "Q" ? i + 1 + (/^\d*/.exec(script.slice(i + 1))?.[0].length ?? 0) : i + 1;
    else if (ch === ":" || ch === "b" || ch === "t" || ch === "T" || ch === "v") {
      const end = script.slice(i + 1).search(/[;\n]/);
      i = end < 0 ? script.length : i + 1 + end;
    } else if ("aic".includes(ch)) {
      // Text to the end of the line; a backslash before the newline continues it.
      let end = toLineEnd(i);
      while (end < script.length && script[end - 1] === "\\") end = toLineEnd(end + 1);
      i = end;
    } else if ("rRwW".includes(ch)) i = toLineEnd(i);
    else if (ch === "s" || ch === "y") {
      const delim = script[i + 1];
      if (delim === undefined || delim === "\n" || delim === "\\") return true;
      const afterPattern = skipDelimited(script, i + 2, delim, true);
      if (afterPattern < 0) return true;
      i = skipDelimited(script, afterPattern, delim, false);
      if (i < 0) return true;
      if (ch === "y") continue;
      const flags = /^[gpIiMm0-9ew]*/.exec(script.slice(i))?.[0] ?? "";
      if (flags.includes("e")) return true;
      i = flags.includes("w") ? toLineEnd(i) : i + flags.length;
    } else return true; // `e` itself, or something we do not know
  }
  return false;
}

function sedLaunches(name: string, args: readonly Word[]): Launch[] {
  const found = readProgramOptions(name, args, {
    text: ["-e", "--expression"], value: ["-l", "--line-length"], file: ["-f", "--file"],
    optional: ["-i"],
    flags: ["-n", "--quiet", "--silent", "-E", "-r", "--regexp-extended", "-s", "--separate", "-u", "--unbuffered", "-z", "--null-data", "--zero-terminated", "--posix", "--debug", "--follow-symlinks", "--in-place", "-b", "--binary"],
    sandbox: ["--sandbox"],
    permute: true,
  });
  if ("kind" in found) return [found];
  const texts = programTexts(name, found);
  if ("kind" in texts) return [texts];
  if (found.sandbox) return [];
  return texts.some(sedCanExecute) ? [refuse("interpreter_script", `${name} program with the e command or s///e`)] : [];
}

/** The launches of an interpreter, or null when `name` is not one. */
export function interpreterLaunches(name: string, args: readonly Word[]): Launch[] | null {
  if (PARSED_SHELLS.has(name)) return shellLaunches(name, args);
  if (OTHER_SHELLS.has(name)) return [refuse("interpreter_script", `${name} (a shell whose syntax this checker does not parse)`)];
  if (/^[gmn]?awk$/.test(name)) return awkLaunches(name, args);
  if (name === "sed" || name === "gsed") return sedLaunches(name, args);
  if (!INTERPRETER.test(name)) return null;
  if (args.length > 0 && args.every((w) => w.kind === "static" && INFO_ONLY.has(w.text))) return [];
  return [refuse("interpreter_script", `${name} (runs code this checker cannot read)`)];
}

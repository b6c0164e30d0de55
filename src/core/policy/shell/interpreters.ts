import { refuse, type Launch } from "./launch";
import { sedCanExecute } from "./sed";
import type { Word } from "./words";

/**
 * Programs that run code given to them. A shell's `-c` string is bash we can parse, so it is followed; awk and
 * sed programs are read for the parts that start commands; any other code (a script file, stdin, `-e`) is
 * unknowable and refused.
 */

/** Shells whose `-c` script the bash grammar reads correctly. */
const PARSED_SHELLS = new Set(["sh", "bash", "dash", "ash", "rbash"]);
const OTHER_SHELLS = new Set([
  "zsh",
  "ksh",
  "mksh",
  "pdksh",
  "yash",
  "posh",
  "fish",
  "csh",
  "tcsh",
  "elvish",
  "nu",
  "xonsh",
  "pwsh",
  "powershell",
]);
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
      else if (letter === "o" || letter === "O")
        i++; // `-o errexit`, `-O extglob`: the next word is the option name
      else if (letter === "s" || letter === "i") return [refuse("interpreter_script", `${name} -${letter} (reads commands from stdin)`)];
      else if (letter === "l") return [refuse("interpreter_script", `${name} -l (runs profile files)`)];
      else if (!SHELL_FLAGS.has(letter)) return [refuse("interpreter_script", `${name} -${letter} (an option this checker does not know)`)];
    }
  }
  const operand = args[i];
  if (operand?.kind === "dynamic" && !command)
    return [refuse("dynamic_program", `${name} with a computed argument (${operand.construct})`)];
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
    text: ["-e", "--source"],
    value: ["-v", "--assign", "-F", "--field-separator"],
    file: ["-f", "--file", "-E", "--exec", "-i", "--include", "-l", "--load"],
    flags: [
      "-b",
      "--characters-as-bytes",
      "-c",
      "--traditional",
      "-P",
      "--posix",
      "-r",
      "--re-interval",
      "-N",
      "--use-lc-numeric",
      "-O",
      "--optimize",
      "-s",
      "--no-optimize",
    ],
    sandbox: ["-S", "--sandbox"],
    permute: false, // gawk and mawk stop reading options at the program text
  });
  if ("kind" in found) return [found];
  const texts = programTexts(name, found);
  if ("kind" in texts) return [texts];
  if (found.sandbox) return [];
  return texts.some((t) => /system|\||@/.test(t))
    ? [refuse("interpreter_script", `${name} program that can run commands (system, pipes or @load)`)]
    : [];
}

function sedLaunches(name: string, args: readonly Word[]): Launch[] {
  const found = readProgramOptions(name, args, {
    text: ["-e", "--expression"],
    value: ["-l", "--line-length"],
    file: ["-f", "--file"],
    optional: ["-i"],
    flags: [
      "-n",
      "--quiet",
      "--silent",
      "-E",
      "-r",
      "--regexp-extended",
      "-s",
      "--separate",
      "-u",
      "--unbuffered",
      "-z",
      "--null-data",
      "--zero-terminated",
      "--posix",
      "--debug",
      "--follow-symlinks",
      "--in-place",
      "-b",
      "--binary",
    ],
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

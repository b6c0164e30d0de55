import { assignedName, changesPrograms } from "./environment";
import { dynamicWord, refuse, runs, type Launch } from "./launch";
import { literalWord, type Word } from "./words";

/**
 * Programs that run the program named after their own options (`timeout 5 rm x`). Each option grammar is
 * spelled out: an option we do not know could take a value and shift where the program starts, so it is refused.
 */
type Grammar = {
  /** Options followed by a value (`-u root`, `-uroot`, `--user root`, `--user=root`). */
  values?: readonly string[];
  /** Options without a value. */
  flags?: readonly string[];
  /** Short options whose value, if any, is attached (`xargs -i{}`). */
  optional?: readonly string[];
  /** Options after which nothing is run (`command -v rm` only looks `rm` up). */
  lookups?: readonly string[];
  /** Options that make the started program unknowable, with what to call them. */
  opaque?: Readonly<Record<string, string>>;
  /** Operands before the program (`timeout DURATION`, `chroot NEWROOT`). */
  operands?: number;
  /** `NAME=value` words before the program (`env A=1 rm`). */
  assignments?: boolean;
  /** `-N` numbers as options (`nice -10 rm`). */
  numericOptions?: boolean;
  /** What runs when no program is named (`xargs` runs `echo`). */
  whenEmpty?: string;
};

const WRAPPERS: Readonly<Record<string, Grammar>> = {
  sudo: {
    values: [
      "-u",
      "--user",
      "-g",
      "--group",
      "-h",
      "--host",
      "-p",
      "--prompt",
      "-C",
      "--close-from",
      "-D",
      "--chdir",
      "-r",
      "--role",
      "-t",
      "--type",
      "-U",
      "--other-user",
      "-T",
      "--command-timeout",
    ],
    flags: [
      "-A",
      "--askpass",
      "-b",
      "--background",
      "-E",
      "--preserve-env",
      "-H",
      "--set-home",
      "-k",
      "--reset-timestamp",
      "-n",
      "--non-interactive",
      "-P",
      "--preserve-groups",
      "-S",
      "--stdin",
      "-B",
      "--bell",
      "-N",
      "--no-update",
    ],
    lookups: ["-l", "--list", "-v", "--validate", "-V", "--version", "-K", "--remove-timestamp", "--help"],
    opaque: {
      "-s": "sudo -s (runs the command through a shell)",
      "--shell": "sudo --shell",
      "-i": "sudo -i (runs the command through a login shell)",
      "--login": "sudo --login",
      "-e": "sudo -e (runs an editor)",
      "--edit": "sudo --edit",
    },
  },
  doas: { values: ["-u", "-C"], flags: ["-n"], lookups: ["-L"], opaque: { "-s": "doas -s (runs a shell)" } },
  env: {
    values: ["-u", "--unset", "-C", "--chdir"],
    flags: [
      "-i",
      "--ignore-environment",
      "-",
      "-0",
      "--null",
      "-v",
      "--debug",
      "--ignore-signal",
      "--default-signal",
      "--block-signal",
      "--list-signal-handling",
    ],
    opaque: { "-S": "env -S (splits a string into a command)", "--split-string": "env --split-string" },
    assignments: true,
  },
  nice: { values: ["-n", "--adjustment"], numericOptions: true },
  nohup: {},
  timeout: {
    values: ["-k", "--kill-after", "-s", "--signal"],
    flags: ["--preserve-status", "--foreground", "-v", "--verbose"],
    operands: 1,
  },
  stdbuf: { values: ["-i", "--input", "-o", "--output", "-e", "--error"] },
  setsid: { flags: ["-c", "--ctty", "-f", "--fork", "-w", "--wait"] },
  ionice: {
    values: ["-c", "--class", "-n", "--classdata"],
    flags: ["-t", "--ignore"],
    lookups: ["-p", "--pid", "-P", "--pgid", "-u", "--uid"],
  },
  chroot: { values: ["--userspec", "--groups"], flags: ["--skip-chdir"], operands: 1, whenEmpty: "sh" },
  time: {
    values: ["-f", "--format", "-o", "--output"],
    flags: ["-p", "-a", "--append", "-v", "--verbose", "--portability", "-q", "--quiet"],
  },
  command: { flags: ["-p"], lookups: ["-v", "-V"] },
  builtin: {},
  exec: { values: ["-a"], flags: ["-c", "-l"] },
  coproc: {},
  busybox: {},
  xargs: {
    values: [
      "-a",
      "--arg-file",
      "-d",
      "--delimiter",
      "-E",
      "-I",
      "-L",
      "--max-lines",
      "-n",
      "--max-args",
      "-P",
      "--max-procs",
      "-s",
      "--max-chars",
      "--process-slot-var",
    ],
    optional: ["-e", "-i", "-l"],
    flags: [
      "--eof",
      "--replace",
      "-0",
      "--null",
      "-r",
      "--no-run-if-empty",
      "-t",
      "--verbose",
      "-p",
      "--interactive",
      "-x",
      "--exit",
      "-o",
      "--open-tty",
    ],
    lookups: ["--show-limits", "--help", "--version"],
    whenEmpty: "echo",
  },
};

/** Programs that start others in ways we do not model (remote hosts, tracers, sandboxes, package runners …). */
const OPAQUE = new Set([
  "su",
  "runuser",
  "pkexec",
  "sg",
  "newgrp",
  "setpriv",
  "capsh",
  "unshare",
  "nsenter",
  "chrt",
  "taskset",
  "numactl",
  "prlimit",
  "cgexec",
  "systemd-run",
  "start-stop-daemon",
  "daemonize",
  "chpst",
  "setarch",
  "linux32",
  "linux64",
  "tini",
  "dumb-init",
  "flock",
  "watch",
  "script",
  "parallel",
  "ssh",
  "strace",
  "ltrace",
  "valgrind",
  "catchsegv",
  "fakeroot",
  "firejail",
  "bwrap",
  "proot",
  "torsocks",
  "proxychains",
  "proxychains4",
  "xvfb-run",
  "eatmydata",
  "faketime",
  "unbuffer",
  "rlwrap",
  "entr",
  "tmux",
  "screen",
  "dbus-run-session",
  "npx",
  "pnpx",
  "bunx",
  "uvx",
  "pipx",
]);

/** What `-x`/`--long` means under a grammar. */
function optionKind(grammar: Grammar, option: string): "value" | "flag" | "optional" | "lookup" | "opaque" | "unknown" {
  if (grammar.opaque?.[option] !== undefined) return "opaque";
  if (grammar.lookups?.includes(option)) return "lookup";
  if (grammar.values?.includes(option)) return "value";
  if (grammar.optional?.includes(option)) return "optional";
  if (grammar.flags?.includes(option)) return "flag";
  return "unknown";
}

/** Where a wrapper's program starts (`index` may be past the end: none named), or why that cannot be told. */
function programAfterOptions(name: string, grammar: Grammar, args: readonly Word[]): { index: number } | { lookup: true } | Launch {
  let operands = grammar.operands ?? 0;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as Word;
    if (word.kind === "dynamic") return refuse("dynamic_program", `${name} with a computed argument (${word.construct})`);
    const text = word.text;
    if (text === "--") return { index: i + 1 };
    const long = text.startsWith("--") || text === "-";
    const cluster = long
      ? [text.split("=", 1)[0] as string]
      : text.startsWith("-") && text.length > 1
        ? [...text.slice(1)].map((c) => `-${c}`)
        : [];
    if (cluster.length > 0 && !(grammar.numericOptions && /^-\d+$/.test(text))) {
      for (const [j, option] of cluster.entries()) {
        const kind = optionKind(grammar, option);
        if (kind === "opaque") return refuse("nested_program", grammar.opaque?.[option] ?? option);
        if (kind === "lookup") return { lookup: true };
        if (kind === "unknown") return refuse("nested_program", `${name} ${option} (an option this checker does not know)`);
        if (kind === "value" || kind === "optional") {
          const attached = long ? text.includes("=") : j < cluster.length - 1;
          if (kind === "value" && !attached) i++; // the value is the next word
          break; // a short option's value is the rest of the cluster
        }
      }
      continue;
    }
    if (cluster.length > 0) continue; // `nice -10`
    if (grammar.assignments) {
      const variable = assignedName(text);
      if (variable !== null) {
        if (changesPrograms(variable)) return refuse("dynamic_program", `${name} ${variable}=… (changes which program runs)`);
        continue;
      }
    }
    if (operands > 0) {
      operands--;
      continue;
    }
    return { index: i };
  }
  return { index: args.length };
}

/** The text `xargs -I R` / `-i[R]` / `--replace[=R]` replaces with input, or null when input is appended. */
function xargsReplacement(args: readonly Word[], programIndex: number): string | null {
  let replacement: string | null = null;
  for (let i = 0; i < programIndex; i++) {
    const word = args[i] as Word;
    if (word.kind !== "static") continue;
    const text = word.text;
    if (text === "--replace") replacement = "{}";
    else if (text.startsWith("--replace=")) replacement = text.slice("--replace=".length);
    else if (/^-[^-]/.test(text)) {
      for (let j = 1; j < text.length; j++) {
        const letter = text[j] as string;
        const rest = text.slice(j + 1);
        if (letter === "I") replacement = rest || (args[i + 1]?.kind === "static" ? (args[i + 1] as { text: string }).text : "{}");
        else if (letter === "i") replacement = rest || "{}";
        if ("IiaEdLnPsel".includes(letter)) break; // the rest of the cluster is this option's value
      }
    }
  }
  return replacement;
}

/** Input substituted into a word makes that word unknowable. */
export function withInput(words: readonly Word[], placeholder: string, source: string): Word[] {
  return words.map((w) => (w.kind === "static" && w.text.includes(placeholder) ? dynamicWord(`${source} ${placeholder}`) : w));
}

/** The launches of a wrapper program, or null when `name` is not one. */
export function wrapperLaunches(name: string, args: readonly Word[]): Launch[] | null {
  if (OPAQUE.has(name)) return [refuse("nested_program", `${name} (starts programs this checker cannot see)`)];
  const grammar = WRAPPERS[name];
  if (!grammar) return null;
  const found = programAfterOptions(name, grammar, args);
  if ("kind" in found) return [found];
  if ("lookup" in found) return [];
  const inner = args.slice(found.index);
  if (inner.length === 0) return grammar.whenEmpty ? [runs([literalWord(grammar.whenEmpty)])] : [];
  if (name !== "xargs") return [runs(inner)];
  // xargs appends its input to the command, or substitutes it for the replace string.
  const replacement = xargsReplacement(args, found.index);
  return [runs(replacement === null ? [...inner, dynamicWord("xargs input")] : withInput(inner, replacement, "xargs -I"))];
}

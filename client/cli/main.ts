#!/usr/bin/env node
import { readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { createInterface } from "node:readline/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { pathToFileURL } from "node:url";
import { AsmClient } from "../client";
import { AsmError } from "../errors";
import { approvalsCommand, statusCommand } from "./approvals";
import { splitGlobals } from "./argv";
import {
  cancelCommand,
  costCommand,
  decisionCommand,
  eventsCommand,
  providersCommand,
  runCommand,
  sessionsCommand,
  tailCommand,
  type Command,
  type Flags,
} from "./commands";
import { ConfigError, resolveConfig } from "./config";
import { COMPACT_LEGEND } from "./legend";
import { EXIT, UsageError, type CliIo } from "./io";
import { forkCommand } from "./fork";
import { schedulesCommand } from "./schedules";
import { exportCommand, importCommand } from "./transfer";

type Options = NonNullable<ParseArgsConfig["options"]>;

const GLOBAL: Options = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};
const RENDER: Options = {
  format: { type: "string" },
  "jsonl-mode": { type: "string" },
  "tool-output": { type: "string" },
  "no-color": { type: "boolean" },
};

const COMMANDS: Record<string, { run: Command; options: Options; usage: string }> = {
  sessions: {
    run: sessionsCommand,
    options: {
      agent: { type: "string" },
      tag: { type: "string", multiple: true },
      metadata: { type: "string" },
      context: { type: "string" },
      "max-concurrent": { type: "string" },
      status: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      hard: { type: "boolean" },
    },
    usage:
      "asm sessions create [--agent ID] [--tag T]… [--metadata JSON|@file]\n  asm sessions list [--status S] [--tag T] [--agent ID] [--limit N] [--cursor C]\n  asm sessions show <session>\n  asm sessions delete <session> [--hard]",
  },
  run: {
    run: runCommand,
    options: {
      provider: { type: "string" },
      model: { type: "string" },
      policy: { type: "string" },
      wait: { type: "boolean" },
      "idempotency-key": { type: "string" },
      "timeout-ms": { type: "string" },
      ...RENDER,
    },
    usage:
      "asm run <session> --provider shell|anthropic|openai|claude-code|codex|amp|router [--model M] [--policy file.json] [--wait] [--format F] -- <input…>\n    (without a terminal, --wait stops at an approval: it prints the tool call id and how to decide, and exits 4)",
  },
  tail: {
    run: tailCommand,
    options: {
      from: { type: "string" },
      run: { type: "string" },
      types: { type: "string" },
      "no-follow": { type: "boolean" },
      transport: { type: "string" },
      ...RENDER,
    },
    usage:
      "asm tail <session> [--from N] [--run R] [--types a,b] [--no-follow] --format compact|verbose|studio|jsonl [--jsonl-mode full|compact] [--tool-output summary|preview|full]",
  },
  cancel: { run: cancelCommand, options: {}, usage: "asm cancel <session> <run>" },
  approvals: {
    run: approvalsCommand,
    options: { session: { type: "string" }, reason: { type: "string" } },
    usage:
      "asm approvals [list] [--session S]\n  asm approvals approve <session> <run> <tool_call_id> [--reason R]\n  asm approvals deny <session> <run> <tool_call_id> --reason R",
  },
  status: { run: statusCommand, options: {}, usage: "asm status <session>" },
  approve: {
    run: decisionCommand("grant"),
    options: { reason: { type: "string" } },
    usage: "asm approve <session> <run> <tool_call_id> [--reason R]",
  },
  deny: {
    run: decisionCommand("deny"),
    options: { reason: { type: "string" } },
    usage: "asm deny <session> <run> <tool_call_id> [--reason R]",
  },
  cost: {
    run: costCommand,
    options: { session: { type: "string" }, since: { type: "string" }, until: { type: "string" } },
    usage: "asm cost [--session S] [--since ISO] [--until ISO]",
  },
  providers: { run: providersCommand, options: {}, usage: "asm providers" },
  export: { run: exportCommand, options: {}, usage: "asm export <session> > file   (the session, its runs and events as NDJSON)" },
  import: { run: importCommand, options: {}, usage: "asm import <file|->   (an export, restored as a new session; prints its id)" },
  fork: {
    run: forkCommand,
    options: { at: { type: "string" } },
    usage: "asm fork <session> --at N   (a new session with events 1..N, their runs and workspace; prints its id)",
  },
  schedules: {
    run: schedulesCommand,
    options: {
      cron: { type: "string" },
      at: { type: "string" },
      "every-ms": { type: "string" },
      provider: { type: "string" },
      model: { type: "string" },
      policy: { type: "string" },
      "timeout-ms": { type: "string" },
    },
    usage:
      "asm schedules list <session>\n  asm schedules create <session> --cron 'M H DoM Mon DoW' (UTC) | --at ISO | --every-ms N --provider P [--model M] [--policy file.json] -- <input…>\n  asm schedules delete <session> <schedule>",
  },
  events: {
    run: eventsCommand,
    options: { type: { type: "string" }, data: { type: "string" }, run: { type: "string" }, file: { type: "string" } },
    usage: "asm events append <session> --type T [--data JSON] [--run R] | --file events.jsonl|-",
  },
};

function helpText(): string {
  return [
    "asm: the Agent Session Manager CLI",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
    "",
    "Global (before or after the command): --url URL --api-key KEY --json (the API's own JSON) --help --version",
    "`asm help compact` explains the compact format's tokens.",
    'Config: flags, then ASM_URL / ASM_API_KEY, then ~/.config/asm/config.json ({"url", "api_key"}; ASM_CONFIG names another file).',
    "Exit codes: 0 ok · 1 API error · 2 usage error · 3 the awaited run failed, was cancelled or timed out · 4 the awaited run waits for an approval (no terminal to ask on) · 130 interrupted",
    "",
  ].join("\n");
}

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { name, rest } = splitGlobals(argv);
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout.write(`asm ${cliVersion()}\n`);
    return EXIT.ok;
  }
  if (name === "help" && rest[0] === "compact") {
    io.stdout.write(COMPACT_LEGEND);
    return EXIT.ok;
  }
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(helpText());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`asm: unknown command '${name}'\n\n${helpText()}`);
    return EXIT.usage;
  }
  let url: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    const flags = values as Flags;
    if (flags.help) {
      io.stdout.write(`usage: ${command.usage}\n`);
      return EXIT.ok;
    }
    const config = resolveConfig({
      flags: { url: flags.url as string | undefined, apiKey: flags["api-key"] as string | undefined },
      env: io.env,
      readFile: io.readFile,
      homeDir: io.homeDir,
    });
    const client = new AsmClient({ baseUrl: config.url, apiKey: config.apiKey, fetch: io.fetch });
    url = config.url;
    return await command.run(client, io, positionals, flags);
  } catch (err) {
    return reportError(err, io, command.usage, url);
  }
}

/** The client's own version (client/package.json), which is what `asm` ships as. */
function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The innermost cause of a failed fetch (undici wraps `connect ECONNREFUSED …` in a bare "fetch failed"). */
function rootCause(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

function reportError(err: unknown, io: CliIo, usage: string, url: string | undefined): number {
  if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
    io.stderr.write(`asm: ${err.message}\nusage: ${usage}\n`);
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    io.stderr.write(`asm: config: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof AsmError) {
    if (err.code === "aborted") return EXIT.interrupted;
    if (err.code === "network_error") {
      io.stderr.write(`asm: cannot reach ${url ?? "the server"}: ${rootCause(err)} (is the server running? set --url or ASM_URL)\n`);
      return EXIT.error;
    }
    const hint =
      err.code === "network_error"
        ? " (is the server running? set --url or ASM_URL)"
        : err.code === "unauthorized"
          ? " (set --api-key or ASM_API_KEY)"
          : "";
    io.stderr.write(`asm: ${err.code}${err.status ? ` (HTTP ${err.status})` : ""}: ${err.message}${hint}\n`);
    if (Object.keys(err.details).length) io.stderr.write(`${JSON.stringify(err.details)}\n`);
    return EXIT.error;
  }
  io.stderr.write(`asm: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.error;
}

/** The real terminal, files and environment. */
function processIo(signal: AbortSignal): CliIo {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    homeDir: homedir(),
    signal,
    readFile: (path) => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return null;
      }
    },
    readStdin: async () => {
      let text = "";
      for await (const chunk of process.stdin) text += chunk;
      return text;
    },
    ask: interactive
      ? async (question) => {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          try {
            return await rl.question(question);
          } finally {
            rl.close();
          }
        }
      : null,
  };
}

/** Whether this module is the program (an npm `bin` is a symlink, so compare real paths). */
function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  runCli(process.argv.slice(2), processIo(controller.signal)).then(
    (code) => process.exit(controller.signal.aborted ? EXIT.interrupted : code),
    (err) => {
      process.stderr.write(`asm: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(EXIT.error);
    },
  );
}

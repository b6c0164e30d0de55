import type { AsmClient } from "../client";
import type { EventInput } from "../../src/core/event";
import { EventInputSchema } from "../../src/core/event";
import { ProviderNameSchema, type SubmitRunRequest } from "../../src/core/run-submit";
import type { Session } from "../../src/core/session";
import { z } from "zod";
import { RENDER_FORMATS, type RenderFormat } from "../render/index";
import { approveHint, decisionSentence } from "./approvals";
import { EXIT, UsageError, type CliIo } from "./io";
import { COMPACT_LEGEND } from "./legend";
import { table } from "./table";
import { tail } from "./tail";

/** Parsed flag values (node:util parseArgs gives strings, booleans and string arrays). */
export type Flags = Record<string, string | boolean | string[] | undefined>;
export type Command = (client: AsmClient, io: CliIo, positionals: string[], flags: Flags) => Promise<number>;

export const flagStr = (flags: Flags, name: string): string | undefined =>
  typeof flags[name] === "string" ? (flags[name] as string) : undefined;
const flagList = (flags: Flags, name: string): string[] | undefined => {
  const v = flags[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : undefined;
};
export function flagInt(flags: Flags, name: string): number | undefined {
  const v = flagStr(flags, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, not '${v}'`);
  return Number(v);
}
function flagJson(flags: Flags, name: string, io: CliIo): unknown {
  const v = flagStr(flags, name);
  if (v === undefined) return undefined;
  return parseJson(v.startsWith("@") ? readOrFail(io, v.slice(1)) : v, `--${name}`);
}
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} is not valid JSON`);
  }
}
function readOrFail(io: CliIo, path: string): string {
  const text = io.readFile(path);
  if (text === null) throw new UsageError(`cannot read ${path}`);
  return text;
}
export function need(positionals: string[], index: number, what: string): string {
  const v = positionals[index];
  if (!v) throw new UsageError(`missing <${what}>`);
  return v;
}
export const print = (io: CliIo, value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function renderFlags(flags: Flags, io: CliIo, fallback: RenderFormat) {
  const format = (flagStr(flags, "format") ?? fallback) as RenderFormat;
  if (!RENDER_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${RENDER_FORMATS.join(", ")}`);
  const jsonlMode = flagStr(flags, "jsonl-mode") ?? "full";
  if (jsonlMode !== "full" && jsonlMode !== "compact") throw new UsageError("--jsonl-mode must be full or compact");
  const toolOutput = flagStr(flags, "tool-output") ?? "summary";
  if (!["summary", "preview", "full"].includes(toolOutput)) throw new UsageError("--tool-output must be summary, preview or full");
  const noColor = flags["no-color"] === true || Boolean(io.env.NO_COLOR);
  return {
    format,
    render: {
      jsonlMode: jsonlMode as "full" | "compact",
      toolOutput: toolOutput as "summary" | "preview" | "full",
      ...(noColor ? { color: false } : {}),
    },
  };
}

const sessionRow = (s: Session): string[] => [s.id, s.status, s.agent_id, s.created_at, s.tags.join(",")];

export const sessionsCommand: Command = async (client, io, positionals, flags) => {
  const sub = positionals[0];
  switch (sub) {
    case "create": {
      const metadata = flagJson(flags, "metadata", io);
      const context = flagJson(flags, "context", io);
      const session = await client.createSession({
        agent_id: flagStr(flags, "agent") ?? "cli",
        ...(flagList(flags, "tag") ? { tags: flagList(flags, "tag") } : {}),
        ...(metadata !== undefined ? { metadata: z.record(z.string(), z.unknown()).parse(metadata) } : {}),
        ...(context !== undefined ? { context: z.record(z.string(), z.unknown()).parse(context) } : {}),
        ...(flagInt(flags, "max-concurrent") !== undefined ? { max_concurrent_runs: flagInt(flags, "max-concurrent") } : {}),
      });
      if (flags.json) print(io, session);
      else io.stdout.write(`${session.id}\n`);
      return EXIT.ok;
    }
    case "list": {
      const page = await client.listSessions({
        status: flagStr(flags, "status") as Session["status"] | undefined,
        tag: flagStr(flags, "tag"),
        agent_id: flagStr(flags, "agent"),
        limit: flagInt(flags, "limit"),
        cursor: flagStr(flags, "cursor"),
      });
      if (flags.json) print(io, page);
      else {
        if (page.items.length === 0) io.stdout.write("No sessions.\n");
        else io.stdout.write(table(["ID", "STATUS", "AGENT", "CREATED", "TAGS"], page.items.map(sessionRow)));
        if (page.next_cursor) io.stdout.write(`(more: --cursor ${page.next_cursor})\n`);
      }
      return EXIT.ok;
    }
    case "show":
      print(io, await client.getSession(need(positionals, 1, "session")));
      return EXIT.ok;
    case "delete": {
      const result = await client.deleteSession(need(positionals, 1, "session"), { hard: flags.hard === true });
      if (flags.json) print(io, result);
      else io.stdout.write(`deleted ${result.id}${result.hard ? " (hard)" : ""}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError("usage: asm sessions create|list|show|delete");
  }
};

/**
 * The run body of `--provider P [--model M] [--policy F] [--timeout-ms N] -- <input…>`: a shell run takes a command
 * and its arguments, others a prompt. Shared by `asm run` and `asm schedules create`.
 */
export async function runBodyFromArgs(io: CliIo, inputWords: string[], flags: Flags): Promise<SubmitRunRequest> {
  const provider = ProviderNameSchema.safeParse(flagStr(flags, "provider"));
  if (!provider.success) throw new UsageError(`--provider must be one of ${ProviderNameSchema.options.join(", ")}`);
  let words = inputWords;
  if (words.length === 1 && words[0] === "-") words = [(await io.readStdin()).trim()];
  if (words.length === 0 || words.every((w) => w === "")) throw new UsageError("missing the run's input: --provider P -- <input…>");
  const input: SubmitRunRequest["input"] =
    provider.data === "shell" ? { command: words[0]!, ...(words.length > 1 ? { args: words.slice(1) } : {}) } : { prompt: words.join(" ") };
  const body: SubmitRunRequest = { provider: provider.data, input };
  const model = flagStr(flags, "model");
  if (model) body.options = { model };
  const policyPath = flagStr(flags, "policy");
  if (policyPath) {
    const policy = parseJson(readOrFail(io, policyPath), policyPath);
    if (Array.isArray(policy)) body.policies = z.array(z.record(z.string(), z.unknown())).parse(policy);
    else body.policy = z.record(z.string(), z.unknown()).parse(policy);
  }
  const timeout = flagInt(flags, "timeout-ms");
  if (timeout !== undefined) body.timeout_ms = timeout;
  return body;
}

/** `asm run <session> --provider P -- <input…>`. */
export const runCommand: Command = async (client, io, positionals, flags) => {
  const sessionId = need(positionals, 0, "session");
  const body = await runBodyFromArgs(io, positionals.slice(1), flags);
  const wait = flags.wait === true;
  const startAt = wait ? (await client.getSession(sessionId)).last_sequence + 1 : 0;
  const run = await client.submitRun(sessionId, body, { idempotencyKey: flagStr(flags, "idempotency-key") });
  if (!wait) {
    if (flags.json) print(io, run);
    else io.stdout.write(`${run.id} ${run.status}\n`);
    return EXIT.ok;
  }
  const { format, render } = renderFlags(flags, io, io.stdout.isTTY ? "studio" : "compact");
  showLegend(io, format);
  const end = await tail(client, io, {
    sessionId,
    from: startAt,
    runId: run.id,
    format,
    render,
    follow: true,
    untilRunEnds: run.id,
    stopAtApproval: true,
  });
  if (!end) return EXIT.interrupted;
  if (end.type === "tool_approval_requested") {
    // Nobody to ask: say what waits and how to decide, rather than hang.
    const call = { session_id: sessionId, run_id: run.id, tool_call_id: String(end.data.tool_call_id ?? "") };
    io.stderr.write(
      `asm: run ${run.id} waits for approval of ${String(end.data.tool_name ?? "a tool")} (tool call ${call.tool_call_id})\n` +
        `  approve: ${approveHint(call)}\n  deny:    ${approveHint(call, "deny")}\n`,
    );
    return EXIT.awaitingApproval;
  }
  return end.type === "run_completed" ? EXIT.ok : EXIT.runUnsuccessful;
};

/** On a terminal, compact output starts with its legend on stderr (pipes get the bare stream). */
function showLegend(io: CliIo, format: RenderFormat): void {
  if (format === "compact" && io.stdout.isTTY) io.stderr.write(COMPACT_LEGEND);
}

export const tailCommand: Command = async (client, io, positionals, flags) => {
  const sessionId = need(positionals, 0, "session");
  const { format, render } = renderFlags(flags, io, io.stdout.isTTY ? "studio" : "compact");
  showLegend(io, format);
  const runId = flagStr(flags, "run");
  const transport = flagStr(flags, "transport");
  if (transport && !["auto", "websocket", "poll"].includes(transport)) throw new UsageError("--transport must be auto, websocket or poll");
  await tail(client, io, {
    sessionId,
    from: flagInt(flags, "from"),
    runId,
    types: flagStr(flags, "types")?.split(","),
    format,
    render,
    follow: flags["no-follow"] !== true,
    untilRunEnds: runId,
    transport: transport as "auto" | "websocket" | "poll" | undefined,
  });
  return EXIT.ok;
};

export const cancelCommand: Command = async (client, io, positionals, flags) => {
  const run = await client.cancelRun(need(positionals, 0, "session"), need(positionals, 1, "run"));
  if (flags.json) print(io, run);
  else io.stdout.write(`${run.id} ${run.status}\n`);
  return EXIT.ok;
};

export const decisionCommand =
  (decision: "grant" | "deny"): Command =>
  async (client, io, positionals, flags) => {
    const reason = flagStr(flags, "reason");
    const run = await client.decideApproval(
      need(positionals, 0, "session"),
      need(positionals, 1, "run"),
      need(positionals, 2, "tool_call_id"),
      { decision, ...(reason ? { reason } : {}) },
    );
    if (flags.json) print(io, run);
    else io.stdout.write(decisionSentence(decision, positionals[2]!, run, reason));
    return EXIT.ok;
  };

export const costCommand: Command = async (client, io, _positionals, flags) => {
  const cost = await client.queryCost({
    session_id: flagStr(flags, "session"),
    since: flagStr(flags, "since"),
    until: flagStr(flags, "until"),
  });
  if (flags.json) print(io, cost);
  else {
    io.stdout.write(
      `total $${cost.total_cost_usd.toFixed(4)} over ${cost.run_count} runs${cost.unpriced_runs ? ` (${cost.unpriced_runs} unpriced)` : ""}\n`,
    );
    io.stdout.write(
      `tokens ${cost.tokens.input} in / ${cost.tokens.output} out (cache ${cost.tokens.cache_read} read, ${cost.tokens.cache_creation} written)\n`,
    );
    for (const [label, buckets] of [
      ["provider", cost.by_provider],
      ["model", cost.by_model],
    ] as const) {
      for (const [name, b] of Object.entries(buckets))
        io.stdout.write(`  ${label} ${name}: $${b.cost_usd.toFixed(4)} · ${b.run_count} runs · ${b.total_tokens} tokens\n`);
    }
  }
  return EXIT.ok;
};

const ProvidersSchema = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      configured: z.boolean(),
      capabilities: z.record(z.string(), z.unknown()),
      circuit: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});

/** Capabilities that are switched on, by name (the API nests them; a table wants a short list). */
function capabilityNames(caps: Record<string, unknown>): string {
  const inner = caps.capabilities && typeof caps.capabilities === "object" ? (caps.capabilities as Record<string, unknown>) : caps;
  return Object.entries(inner)
    .filter(([, v]) => v === true)
    .map(([k]) => k)
    .join(",");
}

export const providersCommand: Command = async (client, io, _positionals, flags) => {
  const body = await client.providers();
  if (flags.json) {
    print(io, body);
    return EXIT.ok;
  }
  const { items } = ProvidersSchema.parse(body);
  io.stdout.write(
    table(
      ["PROVIDER", "CONFIGURED", "CIRCUIT", "CAPABILITIES"],
      items.map((p) => [
        p.name,
        p.configured ? "yes" : "no",
        typeof p.circuit?.state === "string" ? p.circuit.state : "closed",
        capabilityNames(p.capabilities),
      ]),
    ),
  );
  return EXIT.ok;
};

/** `asm events append <session> --type T [--data JSON]` or `--file f` (a JSON array, `{events}`, or JSONL; `-` = stdin). */
export const eventsCommand: Command = async (client, io, positionals, flags) => {
  if (positionals[0] !== "append") throw new UsageError("usage: asm events append <session> --type T [--data JSON] | --file F");
  const sessionId = need(positionals, 1, "session");
  const file = flagStr(flags, "file");
  let inputs: unknown[];
  if (file) {
    const text = file === "-" ? await io.readStdin() : readOrFail(io, file);
    const trimmed = text.trim();
    const whole = trimmed.startsWith("[") || trimmed.startsWith('{"events"') ? parseJson(trimmed, file) : null;
    inputs = Array.isArray(whole)
      ? whole
      : whole
        ? z.object({ events: z.array(z.unknown()) }).parse(whole).events
        : trimmed
            .split("\n")
            .filter((l) => l.trim())
            .map((l, i) => parseJson(l, `${file} line ${i + 1}`));
  } else {
    const type = flagStr(flags, "type");
    if (!type) throw new UsageError("--type (or --file) is required");
    inputs = [
      {
        type,
        ...(flagJson(flags, "data", io) !== undefined ? { data: flagJson(flags, "data", io) } : {}),
        ...(flagStr(flags, "run") ? { run_id: flagStr(flags, "run") } : {}),
      },
    ];
  }
  const parsed = z.array(EventInputSchema).min(1).safeParse(inputs);
  if (!parsed.success)
    throw new UsageError(
      `invalid events: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")}`,
    );
  const stored = await client.appendEvents(sessionId, parsed.data as EventInput[]);
  if (flags.json) print(io, stored);
  else for (const e of stored) io.stdout.write(`${e.sequence} ${e.type} ${e.id}\n`);
  return EXIT.ok;
};

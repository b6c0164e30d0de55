import { z } from "zod";
import type { JsonObject } from "../../core/json";
import { EMPTY_USAGE, type TokenUsage } from "../../core/usage";
import type { AdapterEvent } from "../../core/adapter-event";
import {
  TextSegments,
  canonicalToolName,
  classifyErrorText,
  contentText,
  makeUsage,
  out,
  sameUsage,
  usageData,
  type CliRunSummary,
  type CliStreamMapper,
  type MapOutput,
  type StreamFailure,
  type ToolNameTable,
} from "./common";

/**
 * The Claude Code stream-json format (`claude -p --output-format stream-json --verbose`), which Amp's
 * `--stream-json` also speaks ("Claude Code compatible", ampcode.com/news/streaming-json). One line per message:
 *   {"type":"system","subtype":"init","session_id","model","cwd","tools",...}
 *   {"type":"assistant","message":{"id","model","content":[text|tool_use|thinking],"usage",...},"session_id","parent_tool_use_id"}
 *   {"type":"user","message":{"content":[tool_result]},...}
 *   {"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution"|...,"is_error","result","errors",
 *    "session_id","num_turns","total_cost_usd","usage",...}
 * and, with `--include-partial-messages`, {"type":"stream_event","event":<Messages API stream event>}.
 * Objects are `.loose()`: fields added by newer CLI versions pass through.
 */

const UsageSchema = z
  .object({
    input_tokens: z.number().nullish(),
    output_tokens: z.number().nullish(),
    cache_creation_input_tokens: z.number().nullish(),
    cache_read_input_tokens: z.number().nullish(),
  })
  .loose();

export const TextBlockSchema = z.object({ type: z.literal("text"), text: z.string() }).loose();
export const ToolUseBlockSchema = z
  .object({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.record(z.string(), z.unknown()).default({}),
  })
  .loose();
export const ToolResultBlockSchema = z
  .object({
    type: z.literal("tool_result"),
    tool_use_id: z.string(),
    content: z.unknown().optional(),
    is_error: z.boolean().nullish(),
  })
  .loose();
const BlockSchema = z.discriminatedUnion("type", [TextBlockSchema, ToolUseBlockSchema, ToolResultBlockSchema]);

export const SystemLineSchema = z
  .object({
    type: z.literal("system"),
    subtype: z.string(),
    session_id: z.string().optional(),
    model: z.string().optional(),
    cwd: z.string().optional(),
    permissionMode: z.string().optional(),
  })
  .loose();
export const AssistantLineSchema = z
  .object({
    type: z.literal("assistant"),
    message: z
      .object({
        id: z.string().optional(),
        model: z.string().optional(),
        content: z.array(z.unknown()),
        usage: UsageSchema.nullish(),
        stop_reason: z.string().nullish(),
      })
      .loose(),
    session_id: z.string().optional(),
    parent_tool_use_id: z.string().nullish(),
  })
  .loose();
export const UserLineSchema = z
  .object({
    type: z.literal("user"),
    message: z.object({ content: z.union([z.string(), z.array(z.unknown())]) }).loose(),
    session_id: z.string().optional(),
    parent_tool_use_id: z.string().nullish(),
  })
  .loose();
export const ResultLineSchema = z
  .object({
    type: z.literal("result"),
    subtype: z.string(),
    is_error: z.boolean().optional(),
    result: z.string().nullish(),
    error: z.string().nullish(),
    errors: z.array(z.unknown()).nullish(),
    session_id: z.string().optional(),
    num_turns: z.number().int().optional(),
    duration_ms: z.number().optional(),
    total_cost_usd: z.number().nullish(),
    usage: UsageSchema.nullish(),
    permission_denials: z.array(z.unknown()).nullish(),
  })
  .loose();
export const StreamEventLineSchema = z
  .object({
    type: z.literal("stream_event"),
    event: z.object({ type: z.string() }).loose(),
    session_id: z.string().optional(),
    parent_tool_use_id: z.string().nullish(),
  })
  .loose();

export const ClaudeStreamLineSchema = z.discriminatedUnion("type", [
  SystemLineSchema,
  AssistantLineSchema,
  UserLineSchema,
  ResultLineSchema,
  StreamEventLineSchema,
]);
export type ClaudeStreamLine = z.infer<typeof ClaudeStreamLineSchema>;

const TextDeltaEventSchema = z
  .object({
    type: z.literal("content_block_delta"),
    delta: z.object({ type: z.literal("text_delta"), text: z.string() }).loose(),
  })
  .loose();
const MessageStartEventSchema = z.object({ type: z.literal("message_start"), message: z.object({ id: z.string() }).loose() }).loose();

function usageOf(u: z.infer<typeof UsageSchema>): TokenUsage {
  return makeUsage({
    input: u.input_tokens ?? 0,
    output: u.output_tokens ?? 0,
    cache_read: u.cache_read_input_tokens ?? 0,
    cache_creation: u.cache_creation_input_tokens ?? 0,
  });
}

/**
 * Adds our canonical keys next to the CLI's own: `command` for bash (Amp's Bash takes `cmd`), `path` for file
 * tools (Claude's take `file_path`). Nothing is removed, so the input still says exactly what the agent sent.
 */
function canonicalInput(tool: string, input: JsonObject): JsonObject {
  if (tool === "bash" && typeof input.command !== "string" && typeof input.cmd === "string") return { ...input, command: input.cmd };
  if (/_file$/.test(tool) && typeof input.path !== "string" && typeof input.file_path === "string")
    return { ...input, path: input.file_path };
  return input;
}

export type ClaudeFormatOptions = { provider: "claude-code" | "amp"; tools: ToolNameTable; requestedModel: string | null };

type OpenCall = { name: string; input: JsonObject };

/** Pure mapper from Claude-format stream lines to canonical events. */
export class ClaudeFormatMapper implements CliStreamMapper {
  private readonly text = new TextSegments();
  private readonly calls = new Map<string, OpenCall>();
  /** Usage per API message id: the CLI repeats a message's usage on each of its content-block lines. */
  private readonly perMessage = new Map<string, TokenUsage>();
  private readonly streamedMessages = new Set<string>();
  private currentStreamMessage: string | null = null;
  private anonymous = 0;
  private usage: TokenUsage = { ...EMPTY_USAGE };
  private started = false;
  private state: CliRunSummary;
  private lastStopReason: string | null = null;

  constructor(private readonly opts: ClaudeFormatOptions) {
    this.state = {
      provider_session_id: null,
      model: opts.requestedModel,
      final_text: "",
      usage: { ...EMPTY_USAGE },
      cost_usd: null,
      turn_count: 0,
      stop_reason: null,
      failure: null,
      terminal: false,
    };
  }

  map(raw: unknown): MapOutput {
    const parsed = ClaudeStreamLineSchema.safeParse(raw);
    if (!parsed.success) return out([], [raw]);
    const line = parsed.data;
    if ("session_id" in line && typeof line.session_id === "string" && line.session_id !== "") {
      this.state.provider_session_id ??= line.session_id;
    }
    switch (line.type) {
      case "system":
        return this.system(line, raw);
      case "assistant":
        return this.assistant(line);
      case "user":
        return this.user(line);
      case "result":
        return this.result(line);
      case "stream_event":
        return this.streamEvent(line);
    }
  }

  finish(): AdapterEvent[] {
    const events = this.text.close();
    if (!this.state.final_text) this.state.final_text = this.text.lastText;
    return events;
  }

  summary(): CliRunSummary {
    return { ...this.state, usage: { ...this.usage }, final_text: this.state.final_text || this.text.lastText };
  }

  private system(line: z.infer<typeof SystemLineSchema>, raw: unknown): MapOutput {
    // Only the first init starts the run; other system lines (compaction, hooks, retries) are kept as unmapped.
    if (line.subtype !== "init" || this.started) return out([], [raw]);
    this.started = true;
    if (line.session_id) this.state.provider_session_id = line.session_id;
    if (line.model) this.state.model = line.model;
    const data: JsonObject = {
      provider: this.opts.provider,
      model: this.state.model,
      provider_session_id: this.state.provider_session_id,
    };
    if (line.cwd) data.cwd = line.cwd;
    if (line.permissionMode) data.permission_mode = line.permissionMode;
    return out([{ type: "run_started", data }]);
  }

  private assistant(line: z.infer<typeof AssistantLineSchema>): MapOutput {
    const msg = line.message;
    if (msg.model) this.state.model = msg.model;
    if (msg.stop_reason) this.lastStopReason = msg.stop_reason;
    const events: AdapterEvent[] = [];
    const unmapped: unknown[] = [];
    const streamed = msg.id !== undefined && this.streamedMessages.has(msg.id);
    for (const rawBlock of msg.content) {
      const block = BlockSchema.safeParse(rawBlock);
      if (!block.success || block.data.type === "tool_result") {
        unmapped.push(rawBlock); // thinking, images, blocks newer than this code
        continue;
      }
      if (block.data.type === "text") {
        if (!streamed) events.push(...this.text.add(block.data.text));
        continue;
      }
      events.push(...this.text.close(), this.toolStarted(block.data, line.parent_tool_use_id ?? null));
    }
    if (msg.usage) events.push(...this.messageUsage(msg.id, usageOf(msg.usage)));
    return out(events, unmapped);
  }

  private toolStarted(block: z.infer<typeof ToolUseBlockSchema>, parent: string | null): AdapterEvent {
    const name = canonicalToolName(this.opts.tools, block.name);
    const input = canonicalInput(name, block.input);
    this.calls.set(block.id, { name, input });
    const data: JsonObject = { tool_call_id: block.id, tool_name: name, tool_input: input };
    if (name !== block.name) data.provider_tool_name = block.name;
    if (parent) data.parent_tool_call_id = parent;
    return { type: "tool_call_started", data };
  }

  private user(line: z.infer<typeof UserLineSchema>): MapOutput {
    // A plain-text user line is the prompt echoed back (Amp does this): nothing new to report.
    if (typeof line.message.content === "string") return out();
    const events: AdapterEvent[] = [];
    const unmapped: unknown[] = [];
    for (const rawBlock of line.message.content) {
      const block = ToolResultBlockSchema.safeParse(rawBlock);
      if (!block.success) {
        if (!TextBlockSchema.safeParse(rawBlock).success) unmapped.push(rawBlock);
        continue;
      }
      const call = this.calls.get(block.data.tool_use_id);
      this.calls.delete(block.data.tool_use_id);
      const output = contentText(block.data.content);
      const data: JsonObject = {
        tool_call_id: block.data.tool_use_id,
        tool_name: call?.name ?? "unknown",
        tool_input: call?.input ?? {},
        tool_output: output,
      };
      if (block.data.is_error) data.error = output;
      events.push({ type: block.data.is_error ? "tool_call_failed" : "tool_call_completed", data });
    }
    return out(events, unmapped);
  }

  private result(line: z.infer<typeof ResultLineSchema>): MapOutput {
    const s = this.state;
    s.terminal = true;
    if (line.session_id) s.provider_session_id = line.session_id;
    if (typeof line.num_turns === "number") s.turn_count = line.num_turns;
    if (typeof line.total_cost_usd === "number") s.cost_usd = line.total_cost_usd;
    const events = this.text.close();
    if (line.usage) {
      // The result's usage is the run's total: it replaces our running sum (which may have missed output tokens).
      const total = usageOf(line.usage);
      if (!sameUsage(total, this.usage)) {
        this.usage = total;
        events.push({ type: "token_usage_updated", data: usageData(total) });
      }
    }
    const failed = line.is_error === true || line.subtype !== "success";
    if (failed) {
      s.failure = this.failureOf(line);
      s.stop_reason = line.subtype;
      return out(events);
    }
    s.final_text = line.result ?? this.text.lastText;
    s.stop_reason = this.lastStopReason ?? "end_turn";
    const turn: JsonObject = { turn_count: s.turn_count, stop_reason: s.stop_reason };
    if (typeof line.duration_ms === "number") turn.duration_ms = line.duration_ms;
    if (s.cost_usd !== null) turn.total_cost_usd = s.cost_usd;
    events.push({ type: "turn_completed", data: turn });
    return out(events);
  }

  private failureOf(line: z.infer<typeof ResultLineSchema>): StreamFailure {
    const errors = (line.errors ?? []).map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
    const text = line.error || errors.join("; ") || (line.is_error ? (line.result ?? "") : "");
    const message =
      text ||
      (line.subtype === "error_max_turns"
        ? `The agent stopped after reaching its turn limit (${line.num_turns ?? "?"} turns)`
        : `The agent ended with ${line.subtype}`);
    const details: JsonObject = { subtype: line.subtype };
    if (line.num_turns !== undefined) details.num_turns = line.num_turns;
    if (line.permission_denials?.length) details.permission_denials = line.permission_denials;
    return { kind: classifyErrorText(message), message, details };
  }

  private streamEvent(line: z.infer<typeof StreamEventLineSchema>): MapOutput {
    const start = MessageStartEventSchema.safeParse(line.event);
    if (start.success) {
      this.currentStreamMessage = start.data.message.id;
      return out();
    }
    const delta = TextDeltaEventSchema.safeParse(line.event);
    if (delta.success) {
      if (this.currentStreamMessage) this.streamedMessages.add(this.currentStreamMessage);
      return out(this.text.add(delta.data.delta.text));
    }
    // Block starts/stops, tool-input and thinking deltas, message deltas: the full assistant line repeats them.
    return out();
  }

  private messageUsage(id: string | undefined, usage: TokenUsage): AdapterEvent[] {
    const key = id ?? `#${this.anonymous++}`;
    const previous = this.perMessage.get(key);
    if (previous && sameUsage(previous, usage)) return [];
    this.perMessage.set(key, usage);
    let sum: TokenUsage = { ...EMPTY_USAGE };
    for (const u of this.perMessage.values()) {
      sum = makeUsage({
        input: sum.input + u.input,
        output: sum.output + u.output,
        cache_read: sum.cache_read + u.cache_read,
        cache_creation: sum.cache_creation + u.cache_creation,
      });
    }
    this.usage = sum;
    return [{ type: "token_usage_updated", data: usageData(sum) }];
  }
}

import { z } from "zod";
import type { JsonObject } from "../../core/json";
import { EMPTY_USAGE, addUsage, type TokenUsage } from "../../core/usage";
import type { AdapterEvent } from "../../core/adapter-event";
import type { PermissionMode } from "../../core/run-options";
import {
  TextSegments,
  classifyErrorText,
  out,
  usageData,
  type CliInvocation,
  type CliRunSummary,
  type CliStreamMapper,
  type MapOutput,
} from "./common";

/**
 * Codex (`codex exec --json`). JSONL events as defined in openai/codex `codex-rs/exec/src/exec_events.rs`:
 * thread.started {thread_id}, turn.started, turn.completed {usage}, turn.failed {error:{message}},
 * item.started/updated/completed {item:{id, type, ...}}, error {message}. Items: agent_message {text},
 * reasoning {text}, command_execution {command, aggregated_output, exit_code, status}, file_change {changes:[{path,
 * kind}], status}, mcp_tool_call {server, tool, arguments, result, error, status}, web_search {query}, todo_list,
 * error {message}. Continuation: `codex exec … resume <thread_id> <prompt>`.
 */

export const CODEX_COMMAND = "codex";

const UsageSchema = z
  .object({
    input_tokens: z.number(),
    cached_input_tokens: z.number().nullish(),
    output_tokens: z.number(),
  })
  .loose();
const ItemSchema = z.object({ id: z.string(), type: z.string() }).loose();

export const CodexLineSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("thread.started"), thread_id: z.string() }).loose(),
  z.object({ type: z.literal("turn.started") }).loose(),
  z.object({ type: z.literal("turn.completed"), usage: UsageSchema }).loose(),
  z.object({ type: z.literal("turn.failed"), error: z.object({ message: z.string() }).loose() }).loose(),
  z.object({ type: z.enum(["item.started", "item.updated", "item.completed"]), item: ItemSchema }).loose(),
  z.object({ type: z.literal("error"), message: z.string() }).loose(),
]);
export type CodexLine = z.infer<typeof CodexLineSchema>;

export const AgentMessageItemSchema = z.object({ type: z.literal("agent_message"), text: z.string() }).loose();
export const CommandItemSchema = z
  .object({
    id: z.string(),
    type: z.literal("command_execution"),
    command: z.string(),
    aggregated_output: z.string().default(""),
    exit_code: z.number().int().nullish(),
    status: z.string(),
  })
  .loose();
export const FileChangeItemSchema = z
  .object({
    id: z.string(),
    type: z.literal("file_change"),
    changes: z.array(z.object({ path: z.string(), kind: z.string() }).loose()),
    status: z.string(),
  })
  .loose();
export const McpItemSchema = z
  .object({
    id: z.string(),
    type: z.literal("mcp_tool_call"),
    server: z.string(),
    tool: z.string(),
    arguments: z.unknown().optional(),
    result: z
      .object({ content: z.array(z.unknown()).default([]), structured_content: z.unknown().nullish() })
      .loose()
      .nullish(),
    error: z.object({ message: z.string() }).loose().nullish(),
    status: z.string(),
  })
  .loose();
export const WebSearchItemSchema = z.object({ id: z.string(), type: z.literal("web_search"), query: z.string() }).loose();
export const ErrorItemSchema = z.object({ type: z.literal("error"), message: z.string() }).loose();

type ToolCall = { tool_call_id: string; tool_name: string; tool_input: JsonObject };
type Phase = "item.started" | "item.updated" | "item.completed";

/** Pure mapper from Codex exec JSONL to canonical events. */
export class CodexMapper implements CliStreamMapper {
  private readonly text = new TextSegments();
  private readonly open = new Map<string, ToolCall>();
  private usage: TokenUsage = { ...EMPTY_USAGE };
  private lastError: string | null = null;
  private readonly state: CliRunSummary;

  constructor(requestedModel: string | null) {
    this.state = {
      provider_session_id: null,
      model: requestedModel,
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
    const parsed = CodexLineSchema.safeParse(raw);
    if (!parsed.success) return out([], [raw]);
    const line = parsed.data;
    const s = this.state;
    switch (line.type) {
      case "thread.started":
        s.provider_session_id = line.thread_id;
        return out([{ type: "run_started", data: { provider: "codex", model: s.model, provider_session_id: line.thread_id } }]);
      case "turn.started":
        return out(); // fully described by the items and the turn's end
      case "turn.completed": {
        const u = line.usage;
        const cached = u.cached_input_tokens ?? 0;
        // OpenAI counts cached tokens inside input_tokens; ours keeps them apart (input + cache_read = their input).
        this.usage = addUsage(this.usage, { input: Math.max(0, u.input_tokens - cached), output: u.output_tokens, cache_read: cached });
        s.turn_count += 1;
        s.terminal = true;
        s.failure = null;
        s.stop_reason = "end_turn";
        s.final_text = this.text.lastText;
        return out([
          ...this.text.close(),
          { type: "token_usage_updated", data: usageData(this.usage) },
          { type: "turn_completed", data: { turn_count: s.turn_count, stop_reason: "end_turn" } },
        ]);
      }
      case "turn.failed":
        s.terminal = true;
        s.stop_reason = "turn_failed";
        s.failure = { kind: classifyErrorText(line.error.message), message: line.error.message, details: { event: "turn.failed" } };
        return out(this.text.close());
      case "error":
        // Codex also reports transient trouble (e.g. "Reconnecting… 2/5") this way; fatal only if the turn fails.
        this.lastError = line.message;
        return out([{ type: "error_occurred", data: { error_code: "provider_error", error_message: line.message, fatal: false } }]);
      default:
        return this.item(line.type, line.item);
    }
  }

  finish(): AdapterEvent[] {
    const s = this.state;
    if (!s.terminal && this.lastError) {
      s.failure = { kind: classifyErrorText(this.lastError), message: this.lastError, details: { event: "error" } };
    }
    if (!s.final_text) s.final_text = this.text.lastText;
    return this.text.close();
  }

  summary(): CliRunSummary {
    return { ...this.state, usage: { ...this.usage }, final_text: this.state.final_text || this.text.lastText };
  }

  private item(phase: Phase, item: z.infer<typeof ItemSchema>): MapOutput {
    switch (item.type) {
      case "agent_message": {
        const m = AgentMessageItemSchema.safeParse(item);
        if (!m.success) return out([], [item]);
        // exec emits messages whole on completion; earlier phases carry nothing new.
        return phase === "item.completed" ? out(this.text.add(m.data.text)) : out();
      }
      case "command_execution":
        return this.command(phase, item);
      case "file_change":
        return this.fileChange(phase, item);
      case "mcp_tool_call":
        return this.mcp(phase, item);
      case "web_search":
        return this.webSearch(phase, item);
      case "error": {
        const e = ErrorItemSchema.safeParse(item);
        if (!e.success) return out([], [item]);
        return out([{ type: "error_occurred", data: { error_code: "provider_warning", error_message: e.data.message, fatal: false } }]);
      }
      default:
        // reasoning, todo_list, plan, collab tool calls, and anything newer: kept as unmapped lines.
        return out([], [{ phase, item }]);
    }
  }

  /** Starts a tool call once (an item may skip `item.started`), closing the text segment before it. */
  private start(call: ToolCall): AdapterEvent[] {
    if (this.open.has(call.tool_call_id)) return [];
    this.open.set(call.tool_call_id, call);
    return [...this.text.close(), { type: "tool_call_started", data: { ...call } }];
  }

  private end(call: ToolCall, ok: boolean, toolOutput: JsonObject, error?: string): AdapterEvent[] {
    const events = this.start(call);
    this.open.delete(call.tool_call_id);
    const data: JsonObject = { ...call, tool_output: toolOutput };
    if (!ok) data.error = error ?? "failed";
    return [...events, { type: ok ? "tool_call_completed" : "tool_call_failed", data }];
  }

  private command(phase: Phase, raw: unknown): MapOutput {
    const c = CommandItemSchema.safeParse(raw);
    if (!c.success) return out([], [raw]);
    const call = { tool_call_id: c.data.id, tool_name: "bash", tool_input: { command: c.data.command } };
    if (phase !== "item.completed") return out(this.start(call));
    const ok = c.data.status === "completed" && (c.data.exit_code ?? 0) === 0;
    const toolOutput = { output: c.data.aggregated_output, exit_code: c.data.exit_code ?? null, status: c.data.status };
    return out(this.end(call, ok, toolOutput, c.data.exit_code != null ? `exit ${c.data.exit_code}` : c.data.status));
  }

  private fileChange(phase: Phase, raw: unknown): MapOutput {
    const f = FileChangeItemSchema.safeParse(raw);
    if (!f.success) return out([], [raw]);
    const changes = f.data.changes.map((ch) => ({ path: ch.path, kind: ch.kind }));
    // Only new files → write_file; any update or delete → edit_file.
    const name = changes.length > 0 && changes.every((ch) => ch.kind === "add") ? "write_file" : "edit_file";
    const call = { tool_call_id: f.data.id, tool_name: name, tool_input: { paths: changes.map((ch) => ch.path), changes } };
    if (phase !== "item.completed") return out(this.start(call));
    return out(this.end(call, f.data.status === "completed", { status: f.data.status, changes }, f.data.status));
  }

  private mcp(phase: Phase, raw: unknown): MapOutput {
    const m = McpItemSchema.safeParse(raw);
    if (!m.success) return out([], [raw]);
    const args = m.data.arguments;
    const input = args && typeof args === "object" && !Array.isArray(args) ? (args as JsonObject) : { arguments: args ?? null };
    const call = { tool_call_id: m.data.id, tool_name: `mcp__${m.data.server}__${m.data.tool}`, tool_input: input };
    if (phase !== "item.completed") return out(this.start(call));
    const ok = m.data.status === "completed" && !m.data.error;
    const toolOutput: JsonObject = {
      content: m.data.result?.content ?? [],
      structured_content: m.data.result?.structured_content ?? null,
      status: m.data.status,
    };
    return out(this.end(call, ok, toolOutput, m.data.error?.message ?? m.data.status));
  }

  private webSearch(phase: Phase, raw: unknown): MapOutput {
    const w = WebSearchItemSchema.safeParse(raw);
    if (!w.success) return out([], [raw]);
    const { id, type: _type, ...rest } = w.data;
    const call = { tool_call_id: id, tool_name: "web_search", tool_input: { query: w.data.query } };
    if (phase !== "item.completed") return out(this.start(call));
    return out(this.end(call, true, rest as JsonObject));
  }
}

/**
 * Permission modes → Codex sandbox flags. exec never asks for approval (it is headless), so the sandbox is the
 * whole story: `default` keeps Codex's own default (read-only in exec).
 */
const PERMISSION_FLAGS: Record<PermissionMode, string[]> = {
  default: [],
  accept_edits: ["--sandbox", "workspace-write"],
  plan: ["--sandbox", "read-only"],
  full_auto: ["--full-auto"],
  dangerously_skip_permissions: ["--dangerously-bypass-approvals-and-sandbox"],
};

export function buildCodexArgs(inv: CliInvocation): string[] {
  const o = inv.options;
  const sdk = o.sdk_opts ?? {};
  const args = ["exec", "--json"];
  if (o.model) args.push("--model", o.model);
  if (o.permission_mode) args.push(...PERMISSION_FLAGS[o.permission_mode]);
  if (o.cwd) args.push("--cd", o.cwd);
  // A sandbox workspace need not be a git repository; `sdk_opts.skip_git_repo_check: false` restores the check.
  if (sdk.skip_git_repo_check !== false) args.push("--skip-git-repo-check");
  // Codex has no system-prompt flag; `developer_instructions` is its config key for extra instructions (TOML string).
  if (o.system_prompt) args.push("--config", `developer_instructions=${JSON.stringify(o.system_prompt)}`);
  if (inv.resume_id) args.push("resume", inv.resume_id);
  args.push("--", inv.prompt);
  return args;
}

export function createCodexMapper(requestedModel: string | null): CodexMapper {
  return new CodexMapper(requestedModel);
}

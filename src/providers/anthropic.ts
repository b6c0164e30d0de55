import Anthropic from "@anthropic-ai/sdk";
import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import { defaultModel } from "../core/models";
import { addUsage, EMPTY_USAGE, type TokenUsage } from "../core/usage";
import { ProviderFailure, type ProviderErrorKind } from "./errors";
import { runTool, SANDBOX_TOOL_AGENT_CAPABILITIES, toolDefinitions } from "./tools";
import { replaySteps, type ReplayStep } from "./replay";
import type { Emit, ExecutionContext, ProviderAdapter, RunResult } from "./types";

type Param = Anthropic.MessageParam;
type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; json: string };

/** Turns without a configured limit stop here, so a looping model cannot run forever. */
const TURN_CAP = 50;
const DEFAULT_MAX_TOKENS = 8192;
/** `sdk_opts` keys the Messages API accepts; everything else is dropped. Normalized options win. */
const SDK_KEYS = new Set(["temperature", "top_p", "top_k", "max_tokens", "metadata", "stop_sequences", "thinking"]);

/** The run's own input as replay steps: a prompt, or the user and assistant turns of `{messages}`. */
function inputSteps(input: unknown): ReplayStep[] {
  const text = (role: "user" | "assistant", content: unknown): ReplayStep => ({
    kind: "text",
    role,
    text: typeof content === "string" ? content : JSON.stringify(content),
  });
  if (typeof input === "string") return [text("user", input)];
  const o = (input ?? {}) as { prompt?: unknown; messages?: { role: string; content: unknown }[] };
  if (typeof o.prompt === "string") return [text("user", o.prompt)];
  if (Array.isArray(o.messages)) {
    return o.messages
      .map((m) => ({ ...m, role: String(m.role).toLowerCase() }))
      .filter((m) => m.role === "user" || m.role === "assistant")
      .map((m) => text(m.role as "user" | "assistant", m.content));
  }
  throw new AppError("invalid_input", "Anthropic input must be a string, {prompt} or {messages}");
}

type ContentBlock = Anthropic.TextBlockParam | Anthropic.ToolUseBlockParam | Anthropic.ToolResultBlockParam;

/**
 * Steps as Messages API turns: tool calls become `tool_use` blocks and their results `tool_result` blocks in the next
 * user turn; same-role steps share one turn, so turns alternate, and the first is the user's.
 */
export function toMessages(steps: ReplayStep[]): Param[] {
  const out: { role: "user" | "assistant"; content: ContentBlock[] }[] = [];
  for (const step of steps) {
    if (step.kind === "text" && step.text === "") continue;
    const role = step.kind === "call" || (step.kind === "text" && step.role === "assistant") ? "assistant" : "user";
    const block: ContentBlock =
      step.kind === "text"
        ? { type: "text", text: step.text }
        : step.kind === "call"
          ? { type: "tool_use", id: step.id, name: step.name, input: step.input }
          : { type: "tool_result", tool_use_id: step.id, content: step.output, ...(step.is_error ? { is_error: true } : {}) };
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(block);
    else out.push({ role, content: [block] });
  }
  if (out[0]?.role === "assistant") out.unshift({ role: "user", content: [{ type: "text", text: "[earlier conversation]" }] });
  return out;
}

export function anthropicFailure(err: unknown, signal: AbortSignal): Error {
  if (signal.aborted || err instanceof Anthropic.APIUserAbortError)
    return signal.reason instanceof Error ? signal.reason : new AppError("cancelled", "Run cancelled");
  if (err instanceof ProviderFailure || err instanceof AppError) return err;
  if (err instanceof Anthropic.APIConnectionTimeoutError) return new ProviderFailure("anthropic", "timeout", err.message);
  if (err instanceof Anthropic.APIConnectionError) return new ProviderFailure("anthropic", "network", err.message);
  if (err instanceof Anthropic.APIError) {
    const status = err.status ?? 0;
    const type = (err.error as { error?: { type?: string } } | undefined)?.error?.type;
    const kind: ProviderErrorKind =
      status === 429
        ? "rate_limited"
        : status === 529 || type === "overloaded_error"
          ? "overloaded"
          : status === 401 || status === 403
            ? "auth"
            : status >= 500
              ? "server"
              : status >= 400
                ? "invalid_request"
                : type === "overloaded_error"
                  ? "overloaded"
                  : "server";
    return new ProviderFailure("anthropic", kind, err.message, {
      details: { status, retry_after: err.headers?.get?.("retry-after") ?? null },
    });
  }
  return new ProviderFailure("anthropic", "network", err instanceof Error ? err.message : String(err));
}

/** A Claude agent on the Messages API (streaming) with the sandbox tools, looping until the model stops. */
export class AnthropicAdapter implements ProviderAdapter {
  readonly name = "anthropic";
  readonly capabilities = SANDBOX_TOOL_AGENT_CAPABILITIES;

  async execute(ctx: ExecutionContext, emit: Emit, signal: AbortSignal): Promise<RunResult> {
    const env = ctx.env as { ANTHROPIC_API_KEY?: string; ANTHROPIC_BASE_URL?: string };
    if (!env.ANTHROPIC_API_KEY) throw new ProviderFailure("anthropic", "auth", "ANTHROPIC_API_KEY is not configured");
    const client = new Anthropic({
      apiKey: env.ANTHROPIC_API_KEY,
      maxRetries: 0,
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    });
    const model = ctx.options.model ?? defaultModel("anthropic") ?? "claude-sonnet-4-5";
    const mode = ctx.options.permission_mode;
    const tools = toolDefinitions(mode).map((t) => ({
      name: t.name,
      description: t.description,
      input_schema: t.input_schema as Anthropic.Tool.InputSchema,
    }));
    const sdk = Object.fromEntries(Object.entries(ctx.options.sdk_opts ?? {}).filter(([k]) => SDK_KEYS.has(k)));
    const maxTurns = Math.min(ctx.options.max_turns ?? TURN_CAP, TURN_CAP);
    const messages: Param[] = toMessages([...replaySteps(ctx.transcript), ...inputSteps(ctx.input)]);
    let usage: TokenUsage = { ...EMPTY_USAGE };
    let finalText = "";
    let stopReason = "end_turn";
    let turn = 0;
    await emit({ type: "run_started", data: { provider: "anthropic", model } });
    try {
      while (turn < maxTurns) {
        turn++;
        const blocks = new Map<number, Block>();
        let turnUsage = { input: 0, output: 0, cache_read: 0, cache_creation: 0 };
        let turnStop = "end_turn";
        const stream = await client.messages.create(
          {
            max_tokens: DEFAULT_MAX_TOKENS,
            ...sdk,
            model,
            messages,
            tools,
            stream: true,
            ...(ctx.options.system_prompt ? { system: ctx.options.system_prompt } : {}),
          },
          { signal },
        );
        for await (const ev of stream) {
          if (ev.type === "message_start") {
            const u = ev.message.usage;
            turnUsage = {
              input: u.input_tokens,
              output: u.output_tokens,
              cache_read: u.cache_read_input_tokens ?? 0,
              cache_creation: u.cache_creation_input_tokens ?? 0,
            };
          } else if (ev.type === "content_block_start") {
            const b = ev.content_block;
            if (b.type === "text") blocks.set(ev.index, { type: "text", text: b.text });
            else if (b.type === "tool_use") blocks.set(ev.index, { type: "tool_use", id: b.id, name: b.name, json: "" });
          } else if (ev.type === "content_block_delta") {
            const b = blocks.get(ev.index);
            if (ev.delta.type === "text_delta" && b?.type === "text") {
              b.text += ev.delta.text;
              await emit({ type: "message_streamed", data: { content: ev.delta.text, delta: ev.delta.text } });
            } else if (ev.delta.type === "input_json_delta" && b?.type === "tool_use") {
              b.json += ev.delta.partial_json;
            }
          } else if (ev.type === "message_delta") {
            turnStop = ev.delta.stop_reason ?? turnStop;
            // message_delta carries the message's output total so far, replacing message_start's.
            turnUsage.output = ev.usage.output_tokens;
          }
        }
        usage = addUsage(usage, turnUsage);
        const ordered = [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
        const toolUses = ordered.filter((b): b is Extract<Block, { type: "tool_use" }> => b.type === "tool_use");
        finalText = ordered
          .filter((b) => b.type === "text")
          .map((b) => (b as { text: string }).text)
          .join("");
        messages.push({
          role: "assistant",
          content: ordered.map((b) =>
            b.type === "text"
              ? { type: "text" as const, text: b.text }
              : { type: "tool_use" as const, id: b.id, name: b.name, input: parseJson(b.json) },
          ),
        });
        await emit({ type: "token_usage_updated", data: usageData(usage) });
        await emit({ type: "turn_completed", data: { turn, stop_reason: turnStop } });
        stopReason = turnStop;
        if (turnStop !== "tool_use" || toolUses.length === 0) break;
        const results: Anthropic.ToolResultBlockParam[] = [];
        let endRun = false;
        for (const call of toolUses) {
          const input = parseJson(call.json);
          const base = { tool_call_id: call.id, tool_name: call.name, tool_input: input };
          await emit({ type: "tool_call_started", data: base });
          const decision = await ctx.authorizeTool(base);
          if (!decision.allowed) {
            await emit({ type: "tool_call_failed", data: { ...base, tool_output: null, error: decision.reason } });
            results.push({ type: "tool_result", tool_use_id: call.id, content: `Refused: ${decision.reason}`, is_error: true });
            endRun ||= decision.end_run;
            continue;
          }
          const r = await runTool(ctx.sandbox, call.name, input, mode, signal);
          await emit({
            type: r.ok ? "tool_call_completed" : "tool_call_failed",
            data: { ...base, tool_output: r.output, ...(r.ok ? {} : { error: r.output }) },
          });
          results.push({ type: "tool_result", tool_use_id: call.id, content: r.output, ...(r.ok ? {} : { is_error: true }) });
        }
        messages.push({ role: "user", content: results });
        if (endRun) {
          stopReason = "tool_refused";
          break;
        }
        if (turn >= maxTurns) stopReason = "max_turns";
      }
    } catch (err) {
      throw anthropicFailure(err, signal);
    }
    await emit({ type: "message_received", data: { role: "assistant", content: finalText } });
    return { output: { content: finalText }, stop_reason: stopReason, token_usage: usage, turn_count: turn, model };
  }
}

function parseJson(text: string): JsonObject {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : { value: v as never };
  } catch {
    return { _unparsed: text };
  }
}

function usageData(u: TokenUsage): JsonObject {
  return {
    input_tokens: u.input,
    output_tokens: u.output,
    cache_read_tokens: u.cache_read,
    cache_creation_tokens: u.cache_creation,
    total_tokens: u.total,
  };
}

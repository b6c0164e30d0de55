import OpenAI from "openai";
import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import { defaultModel } from "../core/models";
import { addUsage, EMPTY_USAGE, type TokenUsage } from "../core/usage";
import { ProviderFailure, type ProviderErrorKind } from "./errors";
import { runTool, SANDBOX_TOOL_AGENT_CAPABILITIES, toolDefinitions } from "./tools";
import { replaySteps, type ReplayStep } from "./replay";
import type { Emit, ExecutionContext, ProviderAdapter, RunResult } from "./types";

type InputItem = OpenAI.Responses.ResponseInputItem;
type FunctionCall = { call_id: string; name: string; arguments: string };

const TURN_CAP = 50;
/** `sdk_opts` keys the Responses API accepts; normalized options win. */
const SDK_KEYS = new Set(["temperature", "top_p", "max_output_tokens", "reasoning", "text", "metadata", "store", "parallel_tool_calls"]);

/** The run's own input as replay steps: a prompt, or the user, assistant and system turns of `{messages}`. */
function inputSteps(input: unknown): ReplayStep[] {
  const text = (role: "user" | "assistant" | "system", content: unknown): ReplayStep => ({
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
      .filter((m) => ["user", "assistant", "system"].includes(m.role))
      .map((m) => text(m.role as "user" | "assistant" | "system", m.content));
  }
  throw new AppError("invalid_input", "OpenAI input must be a string, {prompt} or {messages}");
}

/** Steps as Responses input items: calls as `function_call`, results as `function_call_output` with the same call_id. */
export function toInputItems(steps: ReplayStep[]): InputItem[] {
  return steps.flatMap((step): InputItem[] => {
    if (step.kind === "text") return step.text ? [{ role: step.role, content: step.text }] : [];
    if (step.kind === "call") return [{ type: "function_call", call_id: step.id, name: step.name, arguments: JSON.stringify(step.input) }];
    return [{ type: "function_call_output", call_id: step.id, output: step.output }];
  });
}

export function openaiFailure(err: unknown, signal: AbortSignal): Error {
  if (signal.aborted || err instanceof OpenAI.APIUserAbortError)
    return signal.reason instanceof Error ? signal.reason : new AppError("cancelled", "Run cancelled");
  if (err instanceof ProviderFailure || err instanceof AppError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new ProviderFailure("openai", "timeout", err.message);
  if (err instanceof OpenAI.APIConnectionError) return new ProviderFailure("openai", "network", err.message);
  if (err instanceof OpenAI.APIError) {
    const status = err.status ?? 0;
    const kind: ProviderErrorKind =
      status === 429
        ? err.code === "insufficient_quota"
          ? "quota"
          : "rate_limited"
        : status === 401 || status === 403
          ? "auth"
          : status === 503
            ? "overloaded"
            : status >= 500
              ? "server"
              : status >= 400
                ? "invalid_request"
                : "server";
    return new ProviderFailure("openai", kind, err.message, {
      details: { status, retry_after: err.headers?.get?.("retry-after") ?? null },
    });
  }
  return new ProviderFailure("openai", "network", err instanceof Error ? err.message : String(err));
}

/** An OpenAI agent on the Responses API (streaming) with the sandbox tools, looping until the model stops. */
export class OpenAIAdapter implements ProviderAdapter {
  readonly name = "openai";
  readonly capabilities = SANDBOX_TOOL_AGENT_CAPABILITIES;

  async execute(ctx: ExecutionContext, emit: Emit, signal: AbortSignal): Promise<RunResult> {
    const env = ctx.env as { OPENAI_API_KEY?: string; OPENAI_BASE_URL?: string };
    if (!env.OPENAI_API_KEY) throw new ProviderFailure("openai", "auth", "OPENAI_API_KEY is not configured");
    const client = new OpenAI({
      apiKey: env.OPENAI_API_KEY,
      maxRetries: 0,
      ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    });
    const model = ctx.options.model ?? defaultModel("openai") ?? "gpt-4.1";
    const mode = ctx.options.permission_mode;
    const tools = toolDefinitions(mode).map((t) => ({
      type: "function" as const,
      name: t.name,
      description: t.description,
      parameters: t.input_schema,
      strict: false,
    }));
    const sdk = Object.fromEntries(Object.entries(ctx.options.sdk_opts ?? {}).filter(([k]) => SDK_KEYS.has(k)));
    const maxTurns = Math.min(ctx.options.max_turns ?? TURN_CAP, TURN_CAP);
    const items: InputItem[] = toInputItems([...replaySteps(ctx.transcript), ...inputSteps(ctx.input)]);
    let usage: TokenUsage = { ...EMPTY_USAGE };
    let finalText = "";
    let stopReason = "end_turn";
    let turn = 0;
    await emit({ type: "run_started", data: { provider: "openai", model } });
    try {
      while (turn < maxTurns) {
        turn++;
        let text = "";
        const calls: FunctionCall[] = [];
        const stream = await client.responses.create(
          {
            ...sdk,
            model,
            input: items,
            tools,
            stream: true,
            store: false,
            ...(ctx.options.system_prompt ? { instructions: ctx.options.system_prompt } : {}),
          },
          { signal },
        );
        for await (const ev of stream) {
          if (ev.type === "response.output_text.delta") {
            text += ev.delta;
            await emit({ type: "message_streamed", data: { content: ev.delta, delta: ev.delta } });
          } else if (ev.type === "response.output_item.done" && ev.item.type === "function_call") {
            calls.push({ call_id: ev.item.call_id, name: ev.item.name, arguments: ev.item.arguments });
          } else if (ev.type === "response.completed") {
            const u = ev.response.usage;
            const cached = u?.input_tokens_details?.cached_tokens ?? 0;
            // OpenAI counts cached tokens inside input_tokens; we report them apart, as cache reads.
            usage = addUsage(usage, { input: (u?.input_tokens ?? 0) - cached, output: u?.output_tokens ?? 0, cache_read: cached });
          } else if (ev.type === "response.failed") {
            throw new ProviderFailure("openai", "server", ev.response.error?.message ?? "response failed", {
              details: { code: ev.response.error?.code ?? null },
            });
          } else if (ev.type === "error") {
            throw new ProviderFailure("openai", ev.code === "rate_limit_exceeded" ? "rate_limited" : "server", ev.message);
          }
        }
        if (text) items.push({ role: "assistant", content: text });
        finalText = text || finalText;
        const turnStop = calls.length > 0 ? "tool_use" : "end_turn";
        await emit({
          type: "token_usage_updated",
          data: {
            input_tokens: usage.input,
            output_tokens: usage.output,
            cache_read_tokens: usage.cache_read,
            cache_creation_tokens: 0,
            total_tokens: usage.total,
          },
        });
        await emit({ type: "turn_completed", data: { turn, stop_reason: turnStop } });
        stopReason = turnStop;
        if (calls.length === 0) break;
        let endRun = false;
        for (const call of calls) {
          const input = parseArgs(call.arguments);
          const base = { tool_call_id: call.call_id, tool_name: call.name, tool_input: input };
          items.push({ type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments });
          await emit({ type: "tool_call_started", data: base });
          const decision = await ctx.authorizeTool(base);
          if (!decision.allowed) {
            await emit({ type: "tool_call_failed", data: { ...base, tool_output: null, error: decision.reason } });
            items.push({ type: "function_call_output", call_id: call.call_id, output: `Refused: ${decision.reason}` });
            endRun ||= decision.end_run;
            continue;
          }
          const r = await runTool(ctx.sandbox, call.name, input, mode, signal);
          await emit({
            type: r.ok ? "tool_call_completed" : "tool_call_failed",
            data: { ...base, tool_output: r.output, ...(r.ok ? {} : { error: r.output }) },
          });
          items.push({ type: "function_call_output", call_id: call.call_id, output: r.output });
        }
        if (endRun) {
          stopReason = "tool_refused";
          break;
        }
        if (turn >= maxTurns) stopReason = "max_turns";
      }
    } catch (err) {
      throw openaiFailure(err, signal);
    }
    await emit({ type: "message_received", data: { role: "assistant", content: finalText } });
    return { output: { content: finalText }, stop_reason: stopReason, token_usage: usage, turn_count: turn, model };
  }
}

function parseArgs(text: string): JsonObject {
  try {
    const v = JSON.parse(text || "{}") as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {};
  } catch {
    return { _unparsed: text };
  }
}

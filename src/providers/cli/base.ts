import { AppError } from "../../core/errors";
import type { NetworkPolicy } from "../../core/sandbox-protocol";
import type { JsonObject } from "../../core/json";
import { ProviderFailure, resourceLimitError, type ProviderErrorKind } from "../errors";
import type { AdapterEvent } from "../../core/adapter-event";
import type { Emit, ExecutionContext, ProviderAdapter, ProviderCapabilities, RunResult } from "../types";
import type { ExecRequest, ExecResult } from "../../core/sandbox-protocol";
import { classifyErrorText, type CliInvocation, type CliProviderName, type CliStreamMapper } from "./common";
import { promptOf, withTranscript } from "./prompt";
import { CliStreamProcessor, type StreamStats } from "./stream";

/** What makes one CLI: its program, flags, stream mapper, and the env keys it reads its credentials from. */
export type CliAdapterSpec = {
  name: CliProviderName;
  command: string;
  buildArgs(inv: CliInvocation): string[];
  createMapper(requestedModel: string | null): CliStreamMapper;
  capabilities: ProviderCapabilities;
  /** Copied from `ctx.env` into the process env when they are strings (e.g. ANTHROPIC_API_KEY). */
  credentialEnv: string[];
  /** The CLI's own model API: always reachable by its runs, whatever network the run allows otherwise. */
  apiHosts: string[];
};

export type CliAdapterDefaults = {
  timeoutMs: number;
  maxOutputBytes: number;
  errorText?: { maxLines: number; maxBytes: number };
  /** Program path override (e.g. a pinned install); defaults to the spec's command looked up on PATH. */
  command?: string;
};

/** The run's network plus the CLI's own API hosts (`all` stays `all`). */
export function withApiHosts(network: NetworkPolicy | undefined, hosts: string[]): NetworkPolicy {
  if (network === "all") return "all";
  const allowed = network === undefined || network === "none" ? [] : network.allow;
  return { allow: [...new Set([...allowed, ...hosts])] };
}

/**
 * Runs a coding-agent CLI in the session sandbox and turns its JSON stream into canonical events.
 *
 * - No shell: `command` + `args` through `sandbox.execStream`, with a timeout, so a stuck CLI cannot hang the run.
 * - Events go out in stream order, one `emit` at a time. Every `tool_call_started` is put to `authorizeTool`; the
 *   CLI runs its own tools, so a denial cannot skip one call: it kills the process and fails the run
 *   (`tool_permission_denied`), the reactive enforcement the policy model asks for.
 * - Native continuation: `ctx.native_handle` resumes the CLI's own session; the session/thread id it reports is
 *   returned as `provider_session`. Without a handle, the replay transcript is written in front of the prompt.
 * - Failures become `ProviderFailure`, after an `error_occurred` event carrying `provider_error`. Precedence:
 *   timeout → the stream's own error (result error, turn.failed) → non-zero exit (127: not installed; stderr text
 *   classified when recognizable) → no valid line at all (`protocol`). Malformed lines among valid ones do not fail.
 */
export class CliAgentAdapter implements ProviderAdapter {
  readonly name: CliProviderName;
  readonly capabilities: ProviderCapabilities;

  constructor(
    private readonly spec: CliAdapterSpec,
    private readonly defaults: CliAdapterDefaults,
  ) {
    this.name = spec.name;
    this.capabilities = spec.capabilities;
  }

  async execute(ctx: ExecutionContext, emit: Emit, signal: AbortSignal): Promise<RunResult> {
    const base = promptOf(ctx.input);
    const prompt = ctx.native_handle ? base : withTranscript(base, ctx.transcript);
    const args = this.spec.buildArgs({
      prompt,
      options: ctx.options,
      hints: ctx.hints,
      resume_id: ctx.native_handle?.provider_session_id ?? null,
    });
    const mapper = this.spec.createMapper(ctx.options.model ?? null);
    const processor = new CliStreamProcessor(mapper);
    const command = this.defaults.command ?? this.spec.command;
    const timeoutMs = ctx.options.timeout_ms ?? this.defaults.timeoutMs;
    const request: ExecRequest = {
      id: `cli_${ctx.run.id.slice(4, 20)}_${crypto.randomUUID().slice(0, 8)}`,
      command,
      args,
      cwd: ctx.options.cwd ?? ".",
      env: this.envFor(ctx),
      timeout_ms: timeoutMs,
      max_output_bytes: this.defaults.maxOutputBytes,
      network: withApiHosts(ctx.options.network, this.spec.apiHosts),
    };

    // `local` aborts the exec for the caller's cancel and for our own reasons (a denied tool, a failed emit).
    const local = new AbortController();
    const onAbort = () => local.abort(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    let stop: unknown = null;
    let chain: Promise<void> = Promise.resolve();
    const deliver = (events: AdapterEvent[]) => {
      if (events.length === 0) return;
      chain = chain
        .then(() =>
          stop
            ? undefined
            : this.forward(events, ctx, emit, (err) => {
                stop ??= err;
                local.abort(err);
              }),
        )
        .catch((err: unknown) => {
          stop ??= err;
          local.abort(err);
        });
    };

    let result: ExecResult;
    try {
      result = await ctx.sandbox.execStream(
        request,
        (chunk) => {
          if (chunk.stream === "stdout") deliver(processor.push(chunk.data));
        },
        local.signal,
      );
    } catch (err) {
      await chain;
      if (stop) throw stop;
      if (signal.aborted) throw cancelledBy(signal);
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    deliver(processor.end());
    await chain;
    if (stop) throw stop;
    if (signal.aborted) throw cancelledBy(signal);
    return this.conclude(result, mapper, processor, command, timeoutMs, emit);
  }

  private envFor(ctx: ExecutionContext): Record<string, string> {
    const env: Record<string, string> = {};
    for (const key of this.spec.credentialEnv) {
      const value = ctx.env[key];
      if (typeof value === "string" && value !== "") env[key] = value;
    }
    return { ...env, ...(ctx.options.env ?? {}) };
  }

  /** Emits a batch in order; a tool call is authorized right after its start event is out. */
  private async forward(events: AdapterEvent[], ctx: ExecutionContext, emit: Emit, halt: (err: unknown) => void): Promise<void> {
    for (const event of events) {
      await emit(event);
      if (event.type !== "tool_call_started" || !event.data) continue;
      const call = {
        tool_call_id: String(event.data.tool_call_id),
        tool_name: String(event.data.tool_name),
        tool_input: (event.data.tool_input ?? {}) as JsonObject,
      };
      const decision = await ctx.authorizeTool(call);
      if (decision.allowed) continue;
      await emit({ type: "tool_call_failed", data: { ...call, tool_output: null, error: decision.reason } });
      halt(new AppError("tool_permission_denied", decision.reason, { tool_call_id: call.tool_call_id, tool_name: call.tool_name }));
      return;
    }
  }

  private async conclude(
    result: ExecResult,
    mapper: CliStreamMapper,
    processor: CliStreamProcessor,
    command: string,
    timeoutMs: number,
    emit: Emit,
  ): Promise<RunResult> {
    const summary = mapper.summary();
    const stats = processor.stats;
    const fail = async (kind: ProviderErrorKind, message: string, details: JsonObject): Promise<never> => {
      const failure = new ProviderFailure(this.name, kind, message, {
        exit_code: result.exit_code,
        stderr: result.stderr,
        details: { ...details, stream: streamStats(stats) },
        ...(this.defaults.errorText ? { limits: this.defaults.errorText } : {}),
      });
      const leftovers = processor.drainUnmapped();
      await emit({
        type: "error_occurred",
        data: { error_code: failure.code, error_message: message, provider_error: failure.providerError },
        ...(leftovers ? { metadata: leftovers } : {}),
      });
      throw failure;
    };

    if (result.limit_exceeded) throw resourceLimitError(result.limit_exceeded, { command });
    if (result.timed_out) return fail("timeout", `${command} timed out after ${timeoutMs} ms`, { error_code: "cli_timeout" });
    if (summary.failure) return fail(summary.failure.kind, summary.failure.message, summary.failure.details);
    if (result.exit_code !== 0) {
      if (result.exit_code === 127) {
        return fail("process_exit", `The ${command} CLI is not installed in the sandbox (exit 127)`, { error_code: "cli_not_installed" });
      }
      const how = result.exit_code === null ? `signal ${result.signal ?? "unknown"}` : `code ${result.exit_code}`;
      const recognized = classifyErrorText(result.stderr);
      return fail(recognized === "unknown" ? "process_exit" : recognized, `${command} exited with ${how}`, { error_code: "cli_exit" });
    }
    if (stats.valid === 0) {
      const message =
        stats.malformed > 0 ? `${command} wrote no valid stream line (${stats.malformed} malformed)` : `${command} wrote no output`;
      return fail("protocol", message, { error_code: "protocol_error", first_line: processor.firstMalformed });
    }

    const leftovers = processor.drainUnmapped();
    return {
      output: {
        content: summary.final_text,
        stream: streamStats(stats),
        ...(result.truncated ? { truncated: true } : {}),
        ...(leftovers ?? {}),
      },
      stop_reason: summary.stop_reason ?? (summary.terminal ? "end_turn" : "stream_ended"),
      token_usage: summary.usage,
      turn_count: summary.turn_count,
      model: summary.model,
      reported_cost_usd: summary.cost_usd,
      provider_session: summary.provider_session_id ? { provider_session_id: summary.provider_session_id, model: summary.model } : null,
    };
  }
}

/** The caller's own AppError reason (e.g. a run timeout) as is; any other abort is a cancel. */
function cancelledBy(signal: AbortSignal): AppError {
  return signal.reason instanceof AppError ? signal.reason : new AppError("cancelled", "Run cancelled");
}

function streamStats(stats: StreamStats): JsonObject {
  return { lines: stats.lines, valid: stats.valid, malformed_lines: stats.malformed, unmapped_lines: stats.unmapped };
}

import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import { EMPTY_USAGE } from "../core/usage";
import { ProviderFailure, resourceLimitError } from "./errors";
import type { Emit, ExecutionContext, ProviderAdapter, RunResult } from "./types";
import type { ExecRequest } from "../core/sandbox-protocol";
import { checkCommand } from "../core/policy/commands";

type ShellCommand = { command: string; args?: string[]; cwd?: string; env?: Record<string, string>; timeout_ms?: number };

/**
 * Input forms: a string (run with /bin/sh -c), `{command, args, cwd, env, timeout_ms}`,
 * `{prompt}`, or `{messages}` (the user contents joined with newlines, roles matched case-insensitively).
 */
export function shellCommandOf(input: unknown): ShellCommand {
  if (typeof input === "string") return { command: input };
  if (input && typeof input === "object") {
    const o = input as Record<string, unknown>;
    if (typeof o.command === "string") {
      return {
        command: o.command,
        ...(Array.isArray(o.args) ? { args: o.args.map(String) } : {}),
        ...(typeof o.cwd === "string" ? { cwd: o.cwd } : {}),
        ...(o.env && typeof o.env === "object" ? { env: Object.fromEntries(Object.entries(o.env).map(([k, v]) => [k, String(v)])) } : {}),
        ...(typeof o.timeout_ms === "number" ? { timeout_ms: o.timeout_ms } : {}),
      };
    }
    if (typeof o.prompt === "string") return { command: o.prompt };
    if (Array.isArray(o.messages)) {
      const users = o.messages.filter(
        (m): m is { role: string; content: unknown } =>
          !!m && typeof m === "object" && String((m as { role?: unknown }).role).toLowerCase() === "user",
      );
      if (users.length > 0)
        return { command: users.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join("\n") };
    }
  }
  throw new AppError("invalid_input", "Shell input must be a command string, {command,args,cwd,env}, {prompt} or {messages}");
}

/** Runs one command in the session sandbox, streaming its output as `message_streamed` events. */
export class ShellAdapter implements ProviderAdapter {
  readonly name = "shell";
  readonly capabilities = {
    streaming: true,
    tools: true,
    native_continuation: false,
    hints: [],
    capabilities: [
      { type: "code_execution" as const, name: "bash" },
      { type: "tool" as const, name: "bash" },
    ],
  };

  constructor(private readonly defaults: { timeoutMs: number; maxOutputBytes: number; previewChars: number }) {}

  /** Output already went out as streamed events; results and tool outputs keep a bounded copy. */
  private preview(text: string): string {
    return text.length > this.defaults.previewChars ? text.slice(0, this.defaults.previewChars) : text;
  }

  async execute(ctx: ExecutionContext, emit: Emit, signal: AbortSignal): Promise<RunResult> {
    const cmd = shellCommandOf(ctx.input);
    const opts = ctx.options;
    const toolCallId = `tc_${ctx.run.id.slice(4, 20)}`;
    const toolInput: JsonObject = { command: cmd.command, ...(cmd.args ? { args: cmd.args } : {}), cwd: cmd.cwd ?? opts.cwd ?? "." };
    await emit({ type: "run_started", data: { provider: "shell", model: null, command: cmd.command } });
    await emit({ type: "tool_call_started", data: { tool_call_id: toolCallId, tool_name: "bash", tool_input: toolInput } });

    const rule = await checkCommand(
      cmd.args ? { command: cmd.command, args: cmd.args } : cmd.command,
      {
        ...(opts.allowed_commands ? { allowed_commands: opts.allowed_commands } : {}),
        ...(opts.denied_commands ? { denied_commands: opts.denied_commands } : {}),
      },
      { environment: Object.keys({ ...(opts.env ?? {}), ...(cmd.env ?? {}) }) },
    );
    if (!rule.ok) {
      await emit({
        type: "tool_call_failed",
        data: { tool_call_id: toolCallId, tool_name: "bash", tool_input: toolInput, tool_output: null, error: rule.message },
      });
      throw new AppError("policy_violation", rule.message, { ...rule.details, tool_call_id: toolCallId });
    }
    const decision = await ctx.authorizeTool({ tool_call_id: toolCallId, tool_name: "bash", tool_input: toolInput });
    if (!decision.allowed) {
      await emit({
        type: "tool_call_failed",
        data: { tool_call_id: toolCallId, tool_name: "bash", tool_input: toolInput, tool_output: null, error: decision.reason },
      });
      throw new AppError("tool_permission_denied", decision.reason, { tool_call_id: toolCallId });
    }

    const request: ExecRequest = {
      id: ctx.run.id,
      command: cmd.command,
      ...(cmd.args ? { args: cmd.args } : {}),
      cwd: cmd.cwd ?? opts.cwd ?? ".",
      env: { ...(opts.env ?? {}), ...(cmd.env ?? {}) },
      timeout_ms: cmd.timeout_ms ?? this.defaults.timeoutMs,
      max_output_bytes: this.defaults.maxOutputBytes,
    };
    // Output events are emitted in arrival order; each emit is awaited in sequence through this chain.
    let chain = Promise.resolve();
    const result = await ctx.sandbox.execStream(
      request,
      (chunk) => {
        chain = chain.then(() =>
          emit({ type: "message_streamed", data: { content: chunk.data, delta: chunk.data, stream: chunk.stream } }),
        );
      },
      signal,
    );
    await chain;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new AppError("cancelled", "Run cancelled");

    const success = opts.success_exit_codes ?? [0];
    const clipped = result.stdout.length > this.defaults.previewChars || result.stderr.length > this.defaults.previewChars;
    const stdout = this.preview(result.stdout);
    const toolOutput: JsonObject = {
      output: stdout,
      stderr: this.preview(result.stderr),
      exit_code: result.exit_code,
      signal: result.signal,
      duration_ms: result.duration_ms,
      truncated: result.truncated || clipped,
    };
    if (result.limit_exceeded) {
      await emit({
        type: "tool_call_failed",
        data: {
          tool_call_id: toolCallId,
          tool_name: "bash",
          tool_input: toolInput,
          tool_output: toolOutput,
          error: `${result.limit_exceeded} limit exceeded`,
        },
      });
      throw resourceLimitError(result.limit_exceeded, { tool_call_id: toolCallId });
    }
    if (result.timed_out) {
      await emit({
        type: "tool_call_failed",
        data: { tool_call_id: toolCallId, tool_name: "bash", tool_input: toolInput, tool_output: toolOutput, error: "timeout" },
      });
      throw new ProviderFailure("shell", "command_timeout", `Command timed out after ${request.timeout_ms} ms`, {
        exit_code: result.exit_code,
        stderr: result.stderr,
        details: { error_code: "command_timeout" },
      });
    }
    if (result.exit_code === null || !success.includes(result.exit_code)) {
      await emit({
        type: "tool_call_failed",
        data: {
          tool_call_id: toolCallId,
          tool_name: "bash",
          tool_input: toolInput,
          tool_output: toolOutput,
          error: `exit ${result.exit_code ?? result.signal}`,
        },
      });
      await emit({
        type: "error_occurred",
        data: { error_code: "command_failed", error_message: `Command exited with ${result.exit_code ?? result.signal}` },
      });
      throw new ProviderFailure("shell", "process_exit", `Command exited with ${result.exit_code ?? `signal ${result.signal}`}`, {
        exit_code: result.exit_code,
        stderr: result.stderr,
        details: { error_code: "command_failed" },
      });
    }
    await emit({
      type: "tool_call_completed",
      data: { tool_call_id: toolCallId, tool_name: "bash", tool_input: toolInput, tool_output: toolOutput },
    });
    await emit({ type: "message_received", data: { role: "assistant", content: stdout } });
    return {
      output: { content: stdout, stderr: this.preview(result.stderr), exit_code: result.exit_code, truncated: result.truncated || clipped },
      stop_reason: `exit_code_${result.exit_code}`,
      token_usage: { ...EMPTY_USAGE },
      turn_count: 1,
      model: null,
    };
  }
}

import { z } from "zod";
import { categoryOf, isRetryable } from "./errors";
import type { Event } from "./event";
import type { Run } from "./run";
import { TokenUsageSchema } from "./usage";

export type RecommendedAction = "retry" | "wait_and_retry" | "failover" | "cancel" | "abort";
export type StepAction = "retry" | "failover" | "abort";

/** what a workflow should do about an error code. */
export function classifyError(code: string): {
  retryable: boolean;
  category: string;
  recommended_action: RecommendedAction;
  step_action: StepAction;
} {
  let action: RecommendedAction;
  switch (code) {
    case "provider_timeout":
    case "timeout":
    case "storage_connection_failed":
    case "dependency_not_available":
      action = "retry";
      break;
    case "provider_rate_limited":
    case "max_runs_exceeded":
    case "rate_limited":
      action = "wait_and_retry";
      break;
    case "provider_unavailable":
      action = "failover";
      break;
    case "cancelled":
    case "policy_violation":
      action = "cancel";
      break;
    default:
      action = "abort";
  }
  const step_action: StepAction =
    action === "retry" || action === "wait_and_retry" ? "retry" : action === "failover" ? "failover" : "abort";
  return { retryable: isRetryable(code) || step_action !== "abort", category: categoryOf(code), recommended_action: action, step_action };
}

export const StepResultSchema = z.object({
  output: z.record(z.string(), z.unknown()).nullable(),
  content: z.string().nullable(),
  token_usage: TokenUsageSchema,
  session_id: z.string(),
  run_id: z.string(),
  status: z.string(),
  stop_reason: z.string().nullable(),
  tool_calls: z.array(z.object({ tool_call_id: z.string(), tool_name: z.string(), ok: z.boolean() })),
  has_tool_calls: z.boolean(),
  cost_usd: z.number().nullable(),
  retryable: z.boolean(),
  error: z.object({ code: z.string(), message: z.string(), action: z.enum(["retry", "failover", "abort"]) }).nullable(),
});
export type StepResult = z.infer<typeof StepResultSchema>;

/** A finished run and its events as one normalized workflow step result. */
export function stepResultFromRun(run: Run, events: Event[]): StepResult {
  const ended = new Map<string, boolean>();
  const names = new Map<string, string>();
  for (const e of events) {
    const id = typeof e.data.tool_call_id === "string" ? e.data.tool_call_id : null;
    if (!id) continue;
    if (e.type === "tool_call_started") names.set(id, String(e.data.tool_name ?? ""));
    if (e.type === "tool_call_completed") ended.set(id, true);
    if (e.type === "tool_call_failed") ended.set(id, false);
  }
  const tool_calls = [...names].map(([tool_call_id, tool_name]) => ({ tool_call_id, tool_name, ok: ended.get(tool_call_id) ?? false }));
  const completed = events.find((e) => e.type === "run_completed");
  const classification = run.error ? classifyError(run.error.code) : null;
  const content = run.output && typeof run.output.content === "string" ? run.output.content : null;
  return {
    output: run.output,
    content,
    token_usage: run.token_usage,
    session_id: run.session_id,
    run_id: run.id,
    status: run.status,
    stop_reason: completed && typeof completed.data.stop_reason === "string" ? completed.data.stop_reason : null,
    tool_calls,
    has_tool_calls: tool_calls.length > 0,
    cost_usd: run.cost_usd,
    retryable: classification?.retryable ?? false,
    error: run.error && classification ? { code: run.error.code, message: run.error.message, action: classification.step_action } : null,
  };
}

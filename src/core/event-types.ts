import { z } from "zod";

/** The canonical event types: the original's 28 plus ours (run_queued, tool_approval_expired, artifact_stored, schedule_skipped). */
export const EVENT_TYPES = [
  "session_created",
  "session_started",
  "session_paused",
  "session_resumed",
  "session_completed",
  "session_failed",
  "session_cancelled",
  "run_queued",
  "run_started",
  "run_completed",
  "run_failed",
  "run_cancelled",
  "run_timeout",
  "message_sent",
  "message_received",
  "message_streamed",
  "tool_call_started",
  "tool_call_completed",
  "tool_call_failed",
  "error_occurred",
  "error_recovered",
  "token_usage_updated",
  "turn_completed",
  "workspace_snapshot_taken",
  "workspace_diff_computed",
  "policy_violation",
  "tool_approval_requested",
  "tool_approval_granted",
  "tool_approval_denied",
  "tool_approval_expired",
  "artifact_stored",
  "schedule_skipped",
] as const;

export const EventTypeSchema = z.enum(EVENT_TYPES).meta({ id: "EventType" });
export type EventType = z.infer<typeof EventTypeSchema>;

const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && TYPE_SET.has(value);
}

/** Run-ending event types, in the order the executor may emit them. */
export const RUN_TERMINAL_EVENT_TYPES = ["run_completed", "run_failed", "run_cancelled", "run_timeout"] as const;

import { z } from "zod";
import { EventPageSchema, EventSchema } from "./event";
import { EVENT_TYPES, type EventType } from "./event-types";
import { ProviderErrorSchema } from "./run";
import { TokenUsageSchema } from "./usage";

/**
 * What each event type's `data` holds (the original's types and what this service adds), for the API description: every
 * field is optional and other fields may follow, because shape checks are advisory (a mismatch is stored with
 * `metadata._validation_warnings`, never refused). The runtime `EventSchema` keeps `data` an open object.
 */
const str = z.string();
const optStr = str.nullable().optional();
const int = z.number().int();
const json = z.unknown();

const statusChange = { from: optStr, to: optStr, reason: optStr };
const failure = {
  error_code: optStr,
  error_message: optStr,
  details: z.record(z.string(), json).optional(),
  provider_error: ProviderErrorSchema.nullable().optional(),
};
const message = { role: optStr, content: json.describe("Usually a string; provider-specific blocks otherwise") };
const tool = {
  tool_call_id: optStr,
  tool_name: optStr,
  tool_input: json,
  tool_output: json,
  error_message: optStr,
};
const approval = { tool_call_id: optStr, tool_name: optStr, reason: optStr };

const DATA_FIELDS: Record<EventType, z.ZodRawShape> = {
  session_created: { provider: optStr },
  session_started: statusChange,
  session_paused: statusChange,
  session_resumed: statusChange,
  session_completed: statusChange,
  session_failed: { ...statusChange, ...failure },
  session_cancelled: statusChange,
  run_queued: { provider: optStr, model: optStr, position: int.optional() },
  run_started: { provider: optStr, model: optStr, command: optStr, provider_session_id: optStr },
  run_completed: { stop_reason: optStr, token_usage: TokenUsageSchema.optional(), total_cost_usd: z.number().nullable().optional() },
  run_failed: failure,
  run_cancelled: { reason: optStr },
  run_timeout: { timeout_ms: int.optional() },
  message_sent: message,
  message_received: message,
  message_streamed: { ...message, delta: json },
  tool_call_started: tool,
  tool_call_completed: tool,
  tool_call_failed: tool,
  error_occurred: { error_code: optStr, error_message: optStr, fatal: z.boolean().optional() },
  error_recovered: { error_code: optStr, error_message: optStr },
  token_usage_updated: {
    input_tokens: int.optional(),
    output_tokens: int.optional(),
    cache_read_tokens: int.optional(),
    cache_creation_tokens: int.optional(),
    total_tokens: int.optional(),
  },
  turn_completed: { turn: json, turn_count: int.optional(), stop_reason: optStr },
  workspace_snapshot_taken: { label: optStr, backend: optStr, ref: optStr },
  workspace_diff_computed: {
    files_changed: int.optional(),
    insertions: int.optional(),
    deletions: int.optional(),
    has_patch: z.boolean().optional(),
  },
  policy_violation: { policy: optStr, kind: optStr, action: optStr, details: z.record(z.string(), json).optional() },
  tool_approval_requested: { ...approval, tool_input: json, policy_name: optStr, violation_kind: optStr },
  tool_approval_granted: approval,
  tool_approval_denied: approval,
  tool_approval_expired: { ...approval, timeout_ms: int.optional() },
  artifact_stored: { key: optStr, size: int.optional(), sha256: optStr, content_type: optStr, kind: optStr },
  schedule_skipped: {
    schedule_id: optStr,
    reason: optStr.describe("session_paused | submit_refused"),
    due_at: optStr,
    error_code: optStr,
    error_message: optStr,
  },
};

/** PascalCase component name of a type: `run_queued` → `RunQueued`. */
function pascal(type: string): string {
  return type
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function typedEvent<T extends EventType>(type: T) {
  const data = z
    .object(DATA_FIELDS[type])
    .loose()
    .meta({ id: `${pascal(type)}Data` });
  return EventSchema.extend({ type: z.literal(type), data }).meta({ id: `${pascal(type)}Event` });
}

type TypedEventOption = ReturnType<typeof typedEvent>;
const options = EVENT_TYPES.map((t) => typedEvent(t)) as [TypedEventOption, ...TypedEventOption[]];

/** An event as the API describes it: one schema per type, told apart by `type`. Same values as `EventSchema`. */
export const TypedEventSchema = z.discriminatedUnion("type", options).meta({ id: "Event" });

export const TypedEventPageSchema = EventPageSchema.extend({ events: z.array(TypedEventSchema) }).meta({ id: "EventPage" });
export const TypedEventListSchema = z.object({ events: z.array(TypedEventSchema) }).meta({ id: "EventList" });

import type { EventType } from "./event-types";
import type { JsonObject } from "./json";

type FieldKind = "string" | "integer" | "object";

/** Advisory per-type data shapes: a mismatch is recorded as a warning, never a rejection. */
const EXPECTED: Partial<Record<EventType, Record<string, FieldKind>>> = {
  message_received: { content: "string", role: "string" },
  message_streamed: { content: "string" },
  tool_call_started: { tool_name: "string", tool_call_id: "string" },
  tool_call_completed: { tool_name: "string", tool_call_id: "string" },
  tool_call_failed: { tool_name: "string", tool_call_id: "string" },
  token_usage_updated: { input_tokens: "integer", output_tokens: "integer" },
  run_completed: { stop_reason: "string" },
  error_occurred: { error_message: "string" },
  policy_violation: { policy: "string", kind: "string" },
  tool_approval_requested: { tool_name: "string", tool_call_id: "string" },
  tool_approval_granted: { tool_name: "string" },
  tool_approval_denied: { tool_name: "string" },
};

function hasKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
}

export function shapeWarnings(type: EventType, data: JsonObject): string[] {
  const fields = EXPECTED[type];
  if (!fields) return [];
  const warnings: string[] = [];
  for (const [field, kind] of Object.entries(fields)) {
    if (!(field in data)) warnings.push(`${type}: missing data.${field}`);
    else if (!hasKind(data[field], kind)) warnings.push(`${type}: data.${field} should be ${kind}`);
  }
  return warnings;
}

import { AppError } from "./errors";
import { CURRENT_EVENT_SCHEMA_VERSION, type EventInput, type EventOrigin } from "./event";
import { isEventType, type EventType } from "./event-types";
import { newId } from "./ids";
import type { JsonObject } from "./json";
import { shapeWarnings } from "./event-shape";
import { fitToLimit } from "./fit";

/** An event ready for the log: everything but the session and sequence, which the DO assigns. */
export type BuiltEvent = {
  id: string;
  run_id: string | null;
  type: EventType;
  timestamp: string;
  provider: string | null;
  correlation_id: string | null;
  schema_version: number;
  origin: EventOrigin;
  data: JsonObject;
  metadata: JsonObject;
};

/** Metadata keys only the service sets; a client's values for them are dropped so they cannot vouch for themselves. */
const SERVICE_METADATA_KEYS = ["_redactions", "_truncated", "_validation_warnings"] as const;

const encoder = new TextEncoder();
/** Size limits count UTF-8 bytes, as stored and sent, not UTF-16 string length. */
export function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).byteLength;
}

/**
 * `client` events with an unknown type are rejected (`invalid_event_type`); `service` (adapter) events with one
 * are kept as `error_occurred` with the original in data, as the original library did.
 */
export function buildEvent(input: EventInput, origin: EventOrigin, now: string, maxDataBytes: number, index = 0): BuiltEvent {
  let type: EventType;
  let data: JsonObject = input.data ?? {};
  if (isEventType(input.type)) {
    type = input.type;
  } else if (origin === "client") {
    throw new AppError("invalid_event_type", `Unknown event type '${input.type}'`, { index, type: input.type });
  } else {
    type = "error_occurred";
    data = { error_message: `Adapter produced unknown event type '${input.type}'`, original_type: input.type, original_data: data };
  }
  const metadata: JsonObject = { ...(input.metadata ?? {}) };
  if (origin === "client") for (const key of SERVICE_METADATA_KEYS) delete metadata[key];
  const size = jsonBytes(data) + jsonBytes(metadata);
  if (size > maxDataBytes) {
    if (origin === "client") {
      throw new AppError("payload_too_large", `Event ${index} is ${size} bytes; the limit is ${maxDataBytes}`, {
        index,
        size,
        limit: maxDataBytes,
      });
    }
    // What an adapter produced is never refused: its longest strings are cut to fit, and flagged.
    data = fitToLimit(data, maxDataBytes - jsonBytes(metadata) - 64).data;
    metadata._truncated = true;
  }
  const warnings = shapeWarnings(type, data);
  if (warnings.length > 0) metadata._validation_warnings = warnings;
  return {
    id: input.id ?? newId("evt"),
    run_id: input.run_id ?? null,
    type,
    timestamp: input.timestamp ? new Date(input.timestamp).toISOString() : now,
    provider: input.provider ?? null,
    correlation_id: input.correlation_id ?? null,
    schema_version: input.schema_version ?? CURRENT_EVENT_SCHEMA_VERSION,
    origin,
    data,
    metadata,
  };
}

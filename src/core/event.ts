import { z } from "zod";
import { EVENT_TYPES, EventTypeSchema } from "./event-types";
import { JsonObjectSchema } from "./json";
import { AppError } from "./errors";

/** The highest event schema version this build understands. */
export const CURRENT_EVENT_SCHEMA_VERSION = 1;

/**
 * Stored events newer than this build are refused on read with a clear error rather than misread: a reader
 * must be upgraded before it can serve them (see README, "Event schema versions").
 */
export function assertReadableVersion(version: number, eventId: string): void {
  if (!Number.isInteger(version) || version < 1 || version > CURRENT_EVENT_SCHEMA_VERSION) {
    throw new AppError(
      "unsupported_schema_version",
      `Event ${eventId} has schema_version ${version}; this server reads up to ${CURRENT_EVENT_SCHEMA_VERSION}`,
      {
        event_id: eventId,
        schema_version: version,
        supported: CURRENT_EVENT_SCHEMA_VERSION,
      },
    );
  }
}

/**
 * Who wrote an event: `service` for what this service produced (run lifecycle, adapters, approvals, policy),
 * `client` for what a caller appended through `POST /v1/sessions/:id/events`.
 */
export const EVENT_ORIGINS = ["service", "client"] as const;
export const EventOriginSchema = z.enum(EVENT_ORIGINS).meta({ id: "EventOrigin" });
export type EventOrigin = z.infer<typeof EventOriginSchema>;

export const EventSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  run_id: z.string().nullable(),
  sequence: z.number().int().positive(),
  type: EventTypeSchema,
  timestamp: z.string(),
  provider: z.string().nullable(),
  correlation_id: z.string().nullable(),
  schema_version: z.number().int().min(1),
  origin: EventOriginSchema,
  data: JsonObjectSchema,
  metadata: JsonObjectSchema,
});
export type Event = z.infer<typeof EventSchema>;

/**
 * What a caller (or an adapter) hands to the log. Sequence and session are never the caller's:
 * the session's Durable Object assigns them.
 */
export const EventInputSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:-]+$/, "id may hold letters, digits and _.:-")
      .optional(),
    run_id: z.string().min(1).max(128).nullable().optional(),
    // Checked by the log (400 invalid_event_type names the bad type); the spec lists the accepted values.
    type: z
      .string()
      .min(1)
      .max(64)
      .meta({ enum: [...EVENT_TYPES], description: "A canonical event type; anything else is 400 invalid_event_type" }),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    provider: z.string().min(1).max(64).nullable().optional(),
    correlation_id: z.string().min(1).max(256).nullable().optional(),
    schema_version: z.number().int().min(1).max(CURRENT_EVENT_SCHEMA_VERSION).optional(),
    data: JsonObjectSchema.nullable().optional(),
    metadata: JsonObjectSchema.nullable().optional(),
  })
  .meta({ id: "EventInput" });
export type EventInput = z.infer<typeof EventInputSchema>;

export const AppendEventsBodySchema = z
  .object({
    events: z.array(EventInputSchema).min(1).max(1000),
  })
  .meta({ id: "AppendEventsRequest" });
export type AppendEventsBody = z.infer<typeof AppendEventsBodySchema>;

/** Cursor filters for reading one session's log. */
export const EventQuerySchema = z.object({
  after: z.coerce.number().int().min(0).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  run_id: z.string().min(1).max(128).optional(),
  type: z.string().min(1).max(64).optional(),
  wait_ms: z.coerce.number().int().min(0).max(60_000).optional(),
  since: z.iso
    .datetime({ offset: true })
    .transform((t) => new Date(t).toISOString())
    .optional()
    .describe("Only events whose timestamp is at or after this instant (ISO 8601)"),
  until: z.iso
    .datetime({ offset: true })
    .transform((t) => new Date(t).toISOString())
    .optional()
    .describe("Only events whose timestamp is at or before this instant (ISO 8601)"),
});
export type EventQuery = z.infer<typeof EventQuerySchema>;

export const EventPageSchema = z.object({
  events: z.array(EventSchema),
  latest_sequence: z.number().int().min(0),
  next_after: z.number().int().min(0).nullable(),
});
export type EventPage = z.infer<typeof EventPageSchema>;

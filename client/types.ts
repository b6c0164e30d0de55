import { z } from "zod";
import { EventPageSchema, EventSchema } from "../src/core/event";
import { JsonObjectSchema } from "../src/core/json";
import { CostSummarySchema } from "../src/core/query";
import { RunSchema } from "../src/core/run";
import { SessionSchema } from "../src/core/session";

/**
 * Response schemas of the API, composed from the server's own zod schemas (src/core), so the client's types are
 * inferred from the same source as the server's.
 */
export { EventPageSchema, EventSchema, RunSchema, SessionSchema, CostSummarySchema };

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });
export const SessionPageSchema = pageOf(SessionSchema);
export const RunPageSchema = pageOf(RunSchema);
export const EventListSchema = z.object({ events: z.array(EventSchema) });
export const DeletedSchema = z.object({ id: z.string(), deleted: z.literal(true), hard: z.boolean() });

/**
 * Transcript and diff responses: the server declares these inside src/api/workspace.ts (not in core), so the client
 * checks only the fields it relies on and keeps the rest as they come.
 */
export const TranscriptResponseSchema = z
  .object({
    session_id: z.string(),
    messages: z.array(JsonObjectSchema),
    last_sequence: z.number().nullable(),
  })
  .loose();
export const DiffResponseSchema = z
  .object({
    run_id: z.string(),
    files_changed: z.number(),
    insertions: z.number(),
    deletions: z.number(),
    patch: z.string().nullable(),
  })
  .loose();
/** `GET /providers`: capabilities, health and circuit state; its schema is not fixed yet, so it stays open. */
export const ProvidersResponseSchema = z.unknown();

export type Page<T> = { items: T[]; next_cursor: string | null };
export type Transcript = z.infer<typeof TranscriptResponseSchema>;
export type RunDiff = z.infer<typeof DiffResponseSchema>;
export type Deleted = z.infer<typeof DeletedSchema>;

export type { Event, EventInput, EventPage, EventQuery } from "../src/core/event";
export type { EventType } from "../src/core/event-types";
export type { Session, CreateSessionBody, UpdateSessionBody, ListSessionsQuery, SessionStatus } from "../src/core/session";
export type { Run, RunStatus, RunInput } from "../src/core/run";
export type { SubmitRunRequest, SubmitRunRequest as SubmitRunBody, ApprovalDecisionBody, ProviderName } from "../src/core/run-submit";
export type { CostSummary, QueryRuns, QueryCost } from "../src/core/query";
export type { ErrorBody } from "../src/core/errors";

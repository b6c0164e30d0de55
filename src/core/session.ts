import { z } from "zod";
import { JsonObjectSchema } from "./json";
import { EMPTY_USAGE, TokenUsageSchema } from "./usage";
import { newId } from "./ids";
import { csv } from "./query";

export const SESSION_STATUSES = ["pending", "active", "paused", "completed", "failed", "cancelled"] as const;
export const SessionStatusSchema = z.enum(SESSION_STATUSES).meta({ id: "SessionStatus" });
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

const TagSchema = z.string().min(1).max(64);

export const SessionSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    agent_id: z.string(),
    parent_session_id: z.string().nullable(),
    status: SessionStatusSchema,
    metadata: JsonObjectSchema,
    context: JsonObjectSchema,
    tags: z.array(z.string()),
    max_concurrent_runs: z.number().int().min(1),
    max_queued_runs: z.number().int().min(0),
    token_usage: TokenUsageSchema,
    cost_usd: z.number().nullable(),
    last_sequence: z.number().int().min(0),
    created_at: z.string(),
    updated_at: z.string(),
    deleted_at: z.string().nullable(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof SessionSchema>;

export const CreateSessionBodySchema = z
  .object({
    agent_id: z.string().min(1).max(128),
    parent_session_id: z.string().min(1).max(128).nullable().optional(),
    metadata: JsonObjectSchema.optional(),
    context: JsonObjectSchema.optional(),
    tags: z.array(TagSchema).max(32).optional(),
    max_concurrent_runs: z.number().int().min(1).max(16).optional(),
    max_queued_runs: z.number().int().min(0).max(1000).optional(),
  })
  .meta({ id: "CreateSessionRequest" });
export type CreateSessionBody = z.infer<typeof CreateSessionBodySchema>;

export const UpdateSessionBodySchema = z
  .object({
    status: SessionStatusSchema.optional(),
    metadata: JsonObjectSchema.optional(),
    context: JsonObjectSchema.optional(),
    tags: z.array(TagSchema).max(32).optional(),
    max_concurrent_runs: z.number().int().min(1).max(16).optional(),
    max_queued_runs: z.number().int().min(0).max(1000).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" })
  .meta({ id: "UpdateSessionRequest" });
export type UpdateSessionBody = z.infer<typeof UpdateSessionBodySchema>;

/** Session orders (seed QueryAPI): newest created first (default), oldest created first, most recently updated first. */
export const SESSION_ORDERS = ["created_at_desc", "created_at_asc", "updated_at_desc"] as const;
export type SessionOrder = (typeof SESSION_ORDERS)[number];

export const ListSessionsQuerySchema = z
  .object({
    status: SessionStatusSchema.optional(),
    tag: z.string().min(1).max(64).optional(),
    tags: csv(TagSchema).optional().describe("Comma-separated; a session must carry every one"),
    provider: csv(z.string().min(1).max(64))
      .optional()
      .describe("Comma-separated; sessions with a run of one of these providers, or created with metadata.provider among them"),
    min_tokens: z.coerce.number().int().min(0).optional().describe("Sessions whose token total is at least this"),
    order_by: z.enum(SESSION_ORDERS).optional().describe("created_at_desc (default), created_at_asc or updated_at_desc"),
    agent_id: z.string().min(1).max(128).optional(),
    created_since: z.iso.datetime({ offset: true }).optional(),
    created_until: z.iso.datetime({ offset: true }).optional(),
    include_deleted: z
      .enum(["true", "false"])
      .transform((v) => v === "true")
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();
export type ListSessionsQuery = z.infer<typeof ListSessionsQuerySchema>;

/**
 * Allowed status transitions. The original only rejected unknown statuses; we enforce the guide's graph
 * (pending→active→terminal, active↔paused) and allow a pending session to end directly.
 */
const TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  pending: ["active", "completed", "failed", "cancelled"],
  active: ["paused", "completed", "failed", "cancelled"],
  paused: ["active", "completed", "failed", "cancelled"],
  completed: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** The event a status change emits. */
export function sessionStatusEvent(
  to: SessionStatus,
  from: SessionStatus,
): "session_started" | "session_paused" | "session_resumed" | "session_completed" | "session_failed" | "session_cancelled" | null {
  if (to === from) return null;
  switch (to) {
    case "active":
      return from === "paused" ? "session_resumed" : "session_started";
    case "paused":
      return "session_paused";
    case "completed":
      return "session_completed";
    case "failed":
      return "session_failed";
    case "cancelled":
      return "session_cancelled";
    default:
      return null;
  }
}

/** A new pending session for a tenant, from a validated create body and the configured defaults. */
export function newSession(
  tenantId: string,
  body: CreateSessionBody,
  defaults: { maxConcurrentRuns: number; maxQueuedRuns: number },
  now = new Date().toISOString(),
): Session {
  return {
    id: newId("ses"),
    tenant_id: tenantId,
    agent_id: body.agent_id,
    parent_session_id: body.parent_session_id ?? null,
    status: "pending",
    metadata: body.metadata ?? {},
    context: body.context ?? {},
    tags: [...new Set(body.tags ?? [])],
    max_concurrent_runs: body.max_concurrent_runs ?? defaults.maxConcurrentRuns,
    max_queued_runs: body.max_queued_runs ?? defaults.maxQueuedRuns,
    token_usage: { ...EMPTY_USAGE },
    cost_usd: null,
    last_sequence: 0,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
}

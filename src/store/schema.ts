import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, real, primaryKey, index } from "drizzle-orm/sqlite-core";
import { EVENT_ORIGINS } from "../core/event";
import { EVENT_TYPES, type EventType } from "../core/event-types";
import type { JsonObject } from "../core/json";
import { RUN_STATUSES, type RunError } from "../core/run";
import { SESSION_STATUSES } from "../core/session";
import type { TokenUsage } from "../core/usage";

/**
 * D1 tables. JSON columns are text in SQL; `mode: "json"` makes drizzle stringify on write and parse on read, typed
 * with the domain's own types. Enum columns are text too (the enum is a type, not a CHECK). Timestamps are ISO 8601
 * strings (they sort as text).
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    agentId: text("agent_id").notNull(),
    parentSessionId: text("parent_session_id"),
    status: text("status", { enum: SESSION_STATUSES }).notNull(),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    context: text("context", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    maxConcurrentRuns: integer("max_concurrent_runs").notNull().default(1),
    maxQueuedRuns: integer("max_queued_runs").notNull().default(100),
    tokenUsage: text("token_usage", { mode: "json" }).$type<TokenUsage>().notNull().default(sql`'{}'`),
    totalTokens: integer("total_tokens").notNull().default(0),
    costUsd: real("cost_usd"),
    lastSequence: integer("last_sequence").notNull().default(0),
    /** Events removed by retention; the health check does not count them as gaps. */
    prunedEvents: integer("pruned_events").notNull().default(0),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deletedAt: text("deleted_at"),
  },
  (t) => [index("sessions_tenant_created").on(t.tenantId, t.createdAt, t.id), index("sessions_tenant_updated").on(t.tenantId, t.updatedAt)],
);

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    provider: text("provider").notNull(),
    model: text("model"),
    /**
     * JSON text written by the codec: an absent input is the text `null` in a NOT NULL column, which drizzle's json
     * mode would write as SQL NULL.
     */
    input: text("input").notNull().default("null"),
    output: text("output", { mode: "json" }).$type<JsonObject>(),
    error: text("error", { mode: "json" }).$type<RunError>(),
    tokenUsage: text("token_usage", { mode: "json" }).$type<TokenUsage>().notNull().default(sql`'{}'`),
    totalTokens: integer("total_tokens").notNull().default(0),
    costUsd: real("cost_usd"),
    turnCount: integer("turn_count").notNull().default(0),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    idempotencyKey: text("idempotency_key"),
    queuedAt: text("queued_at").notNull(),
    startedAt: text("started_at"),
    endedAt: text("ended_at"),
  },
  (t) => [index("runs_session").on(t.sessionId, t.queuedAt), index("runs_tenant_queued").on(t.tenantId, t.queuedAt, t.id)],
);

export const events = sqliteTable(
  "events",
  {
    sessionId: text("session_id").notNull(),
    sequence: integer("sequence").notNull(),
    id: text("id").notNull(),
    tenantId: text("tenant_id").notNull(),
    runId: text("run_id"),
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    timestamp: text("timestamp").notNull(),
    provider: text("provider"),
    correlationId: text("correlation_id"),
    schemaVersion: integer("schema_version").notNull(),
    data: text("data", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    /** Who wrote the event (core/event.ts); rows flushed before the column existed read as "client". */
    origin: text("origin", { enum: EVENT_ORIGINS }).notNull().default("client"),
  },
  /**
   * Each index is one more row written per event flushed. Event ids are unique per session in the session's DO
   * (the only writer), so D1 does not check them again; the run index is partial, so events outside runs
   * (most client events) write nothing to it.
   */
  (t) => [
    primaryKey({ columns: [t.sessionId, t.sequence] }),
    index("events_tenant_type_time").on(t.tenantId, t.type, t.timestamp),
    index("events_tenant_time").on(t.tenantId, t.timestamp),
    index("events_run_partial").on(t.runId).where(sql`${t.runId} IS NOT NULL`),
  ],
);

export const artifacts = sqliteTable(
  "artifacts",
  {
    key: text("key").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    sessionId: text("session_id").notNull(),
    runId: text("run_id"),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    contentType: text("content_type").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("artifacts_session").on(t.sessionId)],
);

/** Webhook subscriptions: per session (session_id set) or for every session of a tenant (session_id null). */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    sessionId: text("session_id"),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** The event types delivered; null for all. */
    types: text("types", { mode: "json" }).$type<EventType[]>(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhooks_tenant").on(t.tenantId, t.sessionId)],
);

/**
 * Delivery state of a webhook, one row per (webhook, session): a tenant-wide webhook is delivered by every
 * session's object on its own, so each writes only its own row (no cross-object contention). The object's
 * storage holds the authoritative cursor; this row mirrors it after every attempt so the API can show it.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    webhookId: text("webhook_id").notNull(),
    sessionId: text("session_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    /** Events up to this sequence were delivered (or skipped by the webhook's type filter). */
    cursor: integer("cursor").notNull().default(0),
    lastAttemptAt: text("last_attempt_at"),
    lastSuccessAt: text("last_success_at"),
    /** HTTP status of the last attempt; null when it got no answer or was refused before sending. */
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    nextAttemptAt: text("next_attempt_at"),
  },
  (t) => [
    primaryKey({ columns: [t.webhookId, t.sessionId] }),
    index("webhook_deliveries_tenant").on(t.tenantId, t.webhookId, t.lastAttemptAt),
  ],
);

import { assertReadableVersion, type Event } from "../core/event";
import type { EventType } from "../core/event-types";
import type { Run, RunError } from "../core/run";
import type { Session } from "../core/session";
import { parseJsonColumn } from "../core/json";
import { EMPTY_USAGE, type TokenUsage } from "../core/usage";
import type { artifacts, events, runs, sessions } from "./schema";

/** Conversions between domain objects and D1 rows (JSON columns as text). */
export type SessionRow = typeof sessions.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;

/** `pruned_events` is owned by retention, never by the session's own flush, so it is left out here. */
export function sessionToRow(s: Session): Omit<SessionRow, "prunedEvents"> {
  return {
    id: s.id, tenantId: s.tenant_id, agentId: s.agent_id, parentSessionId: s.parent_session_id, status: s.status,
    metadata: JSON.stringify(s.metadata), context: JSON.stringify(s.context), tags: JSON.stringify(s.tags),
    maxConcurrentRuns: s.max_concurrent_runs, maxQueuedRuns: s.max_queued_runs,
    tokenUsage: JSON.stringify(s.token_usage), totalTokens: s.token_usage.total, costUsd: s.cost_usd,
    lastSequence: s.last_sequence, createdAt: s.created_at, updatedAt: s.updated_at, deletedAt: s.deleted_at,
  };
}

export function rowToSession(r: SessionRow): Session {
  return {
    id: r.id, tenant_id: r.tenantId, agent_id: r.agentId, parent_session_id: r.parentSessionId,
    status: r.status as Session["status"], metadata: parseJsonColumn(r.metadata, {}), context: parseJsonColumn(r.context, {}),
    tags: parseJsonColumn(r.tags, []), max_concurrent_runs: r.maxConcurrentRuns, max_queued_runs: r.maxQueuedRuns,
    token_usage: parseJsonColumn<TokenUsage>(r.tokenUsage, EMPTY_USAGE), cost_usd: r.costUsd,
    last_sequence: r.lastSequence, created_at: r.createdAt, updated_at: r.updatedAt, deleted_at: r.deletedAt,
  };
}

export function runToRow(run: Run, tenantId: string): RunRow {
  return {
    id: run.id, sessionId: run.session_id, tenantId, status: run.status, provider: run.provider, model: run.model,
    input: JSON.stringify(run.input ?? null), output: run.output === null ? null : JSON.stringify(run.output),
    error: run.error === null ? null : JSON.stringify(run.error), tokenUsage: JSON.stringify(run.token_usage),
    totalTokens: run.token_usage.total, costUsd: run.cost_usd, turnCount: run.turn_count,
    metadata: JSON.stringify(run.metadata), idempotencyKey: run.idempotency_key, queuedAt: run.queued_at,
    startedAt: run.started_at, endedAt: run.ended_at,
  };
}

export function rowToRun(r: RunRow): Run {
  return {
    id: r.id, session_id: r.sessionId, status: r.status as Run["status"], provider: r.provider, model: r.model,
    input: parseJsonColumn(r.input, null), output: parseJsonColumn(r.output, null),
    error: parseJsonColumn<RunError | null>(r.error, null), token_usage: parseJsonColumn(r.tokenUsage, EMPTY_USAGE),
    cost_usd: r.costUsd, turn_count: r.turnCount, metadata: parseJsonColumn(r.metadata, {}),
    idempotency_key: r.idempotencyKey, queued_at: r.queuedAt, started_at: r.startedAt, ended_at: r.endedAt,
  };
}

export function eventToRow(e: Event, tenantId: string): EventRow {
  return {
    sessionId: e.session_id, sequence: e.sequence, id: e.id, tenantId, runId: e.run_id, type: e.type,
    timestamp: e.timestamp, provider: e.provider, correlationId: e.correlation_id, schemaVersion: e.schema_version,
    data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata), origin: e.origin,
  };
}

export function rowToEvent(r: EventRow): Event {
  assertReadableVersion(r.schemaVersion, r.id);
  return {
    id: r.id, session_id: r.sessionId, run_id: r.runId, sequence: r.sequence, type: r.type as EventType,
    timestamp: r.timestamp, provider: r.provider, correlation_id: r.correlationId, schema_version: r.schemaVersion,
    origin: r.origin === "service" ? "service" : "client",
    data: parseJsonColumn(r.data, {}), metadata: parseJsonColumn(r.metadata, {}),
  };
}

import { assertReadableVersion, type Event } from "../core/event";
import type { Run } from "../core/run";
import type { Session } from "../core/session";
import { parseJsonColumn } from "../core/json";
import type { artifacts, events, runs, sessions } from "./schema";

/**
 * Conversions between domain objects and D1 rows. The schema's typed columns carry JSON and enums, so this only
 * renames fields (and writes a run's free-form input, which stays text).
 */
export type SessionRow = typeof sessions.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;

/** `pruned_events` is owned by retention, never by the session's own flush, so it is left out here. */
export function sessionToRow(s: Session): Omit<SessionRow, "prunedEvents"> {
  return {
    id: s.id,
    tenantId: s.tenant_id,
    agentId: s.agent_id,
    parentSessionId: s.parent_session_id,
    status: s.status,
    metadata: s.metadata,
    context: s.context,
    tags: s.tags,
    maxConcurrentRuns: s.max_concurrent_runs,
    maxQueuedRuns: s.max_queued_runs,
    tokenUsage: s.token_usage,
    totalTokens: s.token_usage.total,
    costUsd: s.cost_usd,
    lastSequence: s.last_sequence,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
    deletedAt: s.deleted_at,
  };
}

export function rowToSession(r: SessionRow): Session {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    agent_id: r.agentId,
    parent_session_id: r.parentSessionId,
    status: r.status,
    metadata: r.metadata,
    context: r.context,
    tags: r.tags,
    max_concurrent_runs: r.maxConcurrentRuns,
    max_queued_runs: r.maxQueuedRuns,
    token_usage: r.tokenUsage,
    cost_usd: r.costUsd,
    last_sequence: r.lastSequence,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    deleted_at: r.deletedAt,
  };
}

export function runToRow(run: Run, tenantId: string): RunRow {
  return {
    id: run.id,
    sessionId: run.session_id,
    tenantId,
    status: run.status,
    provider: run.provider,
    model: run.model,
    input: JSON.stringify(run.input ?? null),
    output: run.output,
    error: run.error,
    tokenUsage: run.token_usage,
    totalTokens: run.token_usage.total,
    costUsd: run.cost_usd,
    turnCount: run.turn_count,
    metadata: run.metadata,
    idempotencyKey: run.idempotency_key,
    queuedAt: run.queued_at,
    startedAt: run.started_at,
    endedAt: run.ended_at,
  };
}

export function rowToRun(r: RunRow): Run {
  return {
    id: r.id,
    session_id: r.sessionId,
    status: r.status,
    provider: r.provider,
    model: r.model,
    input: parseJsonColumn<unknown>(r.input, null),
    output: r.output,
    error: r.error,
    token_usage: r.tokenUsage,
    cost_usd: r.costUsd,
    turn_count: r.turnCount,
    metadata: r.metadata,
    idempotency_key: r.idempotencyKey,
    queued_at: r.queuedAt,
    started_at: r.startedAt,
    ended_at: r.endedAt,
  };
}

export function eventToRow(e: Event, tenantId: string): EventRow {
  return {
    sessionId: e.session_id,
    sequence: e.sequence,
    id: e.id,
    tenantId,
    runId: e.run_id,
    type: e.type,
    timestamp: e.timestamp,
    provider: e.provider,
    correlationId: e.correlation_id,
    schemaVersion: e.schema_version,
    data: e.data,
    metadata: e.metadata,
    origin: e.origin,
  };
}

export function rowToEvent(r: EventRow): Event {
  assertReadableVersion(r.schemaVersion, r.id);
  return {
    id: r.id,
    session_id: r.sessionId,
    run_id: r.runId,
    sequence: r.sequence,
    type: r.type,
    timestamp: r.timestamp,
    provider: r.provider,
    correlation_id: r.correlationId,
    schema_version: r.schemaVersion,
    // Only "service" is trusted as such: anything else reads as the less privileged "client".
    origin: r.origin === "service" ? "service" : "client",
    data: r.data,
    metadata: r.metadata,
  };
}

import { sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";

export type SessionGap = { session_id: string; event_count: number; max_sequence: number; missing: number };
export type HealthReport = {
  sessions_checked: number;
  gaps: SessionGap[];
  orphaned_runs: string[];
  orphaned_events: { session_id: string; count: number }[];
  stuck_sessions: { session_id: string; status: string; updated_at: string }[];
  stuck_runs: { run_id: string; session_id: string; status: string; queued_at: string }[];
};

/**
 * Consistency checks over D1 for one tenant: sequence gaps (max(sequence) ≠ count), rows whose session is
 * gone, and sessions or runs that stopped moving while non-terminal.
 */
export async function checkHealth(db: DrizzleD1Database, tenantId: string, stuckBefore: string, limit = 500): Promise<HealthReport> {
  // Events removed by retention are counted on the session row, so pruning is not reported as a gap.
  const gaps = await db.all<{ session_id: string; n: number; m: number }>(sql`
    SELECT e.session_id, COUNT(*) + COALESCE(MAX(s.pruned_events), 0) AS n, MAX(e.sequence) AS m
    FROM events e LEFT JOIN sessions s ON s.id = e.session_id
    WHERE e.tenant_id = ${tenantId}
    GROUP BY e.session_id HAVING MAX(e.sequence) <> COUNT(*) + COALESCE(MAX(s.pruned_events), 0) LIMIT ${limit}`);
  const checked = await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM sessions WHERE tenant_id = ${tenantId}`);
  const orphanRuns = await db.all<{ id: string }>(sql`
    SELECT r.id FROM runs r LEFT JOIN sessions s ON s.id = r.session_id
    WHERE r.tenant_id = ${tenantId} AND s.id IS NULL LIMIT ${limit}`);
  const orphanEvents = await db.all<{ session_id: string; n: number }>(sql`
    SELECT e.session_id, COUNT(*) AS n FROM events e LEFT JOIN sessions s ON s.id = e.session_id
    WHERE e.tenant_id = ${tenantId} AND s.id IS NULL GROUP BY e.session_id LIMIT ${limit}`);
  const stuckSessions = await db.all<{ id: string; status: string; updated_at: string }>(sql`
    SELECT id, status, updated_at FROM sessions WHERE tenant_id = ${tenantId} AND deleted_at IS NULL
    AND status IN ('pending', 'active', 'paused') AND updated_at < ${stuckBefore} LIMIT ${limit}`);
  const stuckRuns = await db.all<{ id: string; session_id: string; status: string; queued_at: string }>(sql`
    SELECT id, session_id, status, queued_at FROM runs WHERE tenant_id = ${tenantId}
    AND status IN ('queued', 'running', 'awaiting_approval') AND queued_at < ${stuckBefore} LIMIT ${limit}`);
  return {
    sessions_checked: Number(checked[0]?.n ?? 0),
    gaps: gaps.map((g) => ({
      session_id: g.session_id,
      event_count: Number(g.n),
      max_sequence: Number(g.m),
      missing: Number(g.m) - Number(g.n),
    })),
    orphaned_runs: orphanRuns.map((r) => r.id),
    orphaned_events: orphanEvents.map((e) => ({ session_id: e.session_id, count: Number(e.n) })),
    stuck_sessions: stuckSessions.map((s) => ({ session_id: s.id, status: s.status, updated_at: s.updated_at })),
    stuck_runs: stuckRuns.map((r) => ({ run_id: r.id, session_id: r.session_id, status: r.status, queued_at: r.queued_at })),
  };
}

import { eq, sql, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { sessions } from "./schema";

/**
 * The D1 queries retention needs: candidates, event counts and the orphan sweep. Deciding what goes is
 * src/core/retention.ts; driving each session's DO is src/operations/retention.ts.
 */

/** One tenant, or every tenant (the cron) when null. */
function tenantFilter(tenantId: string | null): SQL {
  return tenantId === null ? sql`1 = 1` : sql`tenant_id = ${tenantId}`;
}

export async function retentionCandidates(db: DrizzleD1Database, tenantId: string | null) {
  return db
    .select({
      id: sessions.id,
      tenant_id: sessions.tenantId,
      status: sessions.status,
      tags: sessions.tags,
      updated_at: sessions.updatedAt,
      deleted_at: sessions.deletedAt,
    })
    .from(sessions)
    .where(tenantId === null ? undefined : eq(sessions.tenantId, tenantId));
}
export type RetentionCandidate = Awaited<ReturnType<typeof retentionCandidates>>[number];

/** Sessions holding more than `cap` events in D1. */
export async function sessionsOverEventCap(db: DrizzleD1Database, tenantId: string | null, cap: number): Promise<string[]> {
  const rows = await db.all<{ session_id: string }>(
    sql`SELECT session_id FROM events WHERE ${tenantFilter(tenantId)} GROUP BY session_id HAVING COUNT(*) > ${cap}`,
  );
  return rows.map((r) => r.session_id);
}

export async function eventTypesBySequence(db: DrizzleD1Database, sessionId: string): Promise<{ sequence: number; type: string }[]> {
  return db.all<{ sequence: number; type: string }>(
    sql`SELECT sequence, type FROM events WHERE session_id = ${sessionId} ORDER BY sequence`,
  );
}

export async function deleteOrphanRuns(db: DrizzleD1Database, tenantId: string | null): Promise<number> {
  const r = await db.run(sql`DELETE FROM runs WHERE ${tenantFilter(tenantId)} AND session_id NOT IN (SELECT id FROM sessions)`);
  return r.meta.changes ?? 0;
}

export async function deleteOrphanEvents(db: DrizzleD1Database, tenantId: string | null): Promise<number> {
  const r = await db.run(sql`DELETE FROM events WHERE ${tenantFilter(tenantId)} AND session_id NOT IN (SELECT id FROM sessions)`);
  return r.meta.changes ?? 0;
}

/** Artifact rows whose session is gone; their R2 objects go before the rows (deleteOrphanArtifactRows). */
export async function orphanArtifacts(db: DrizzleD1Database, tenantId: string | null): Promise<{ key: string; tenant_id: string }[]> {
  return db.all<{ key: string; tenant_id: string }>(
    sql`SELECT key, tenant_id FROM artifacts WHERE ${tenantFilter(tenantId)} AND session_id NOT IN (SELECT id FROM sessions)`,
  );
}

export async function deleteOrphanArtifactRows(db: DrizzleD1Database, tenantId: string | null): Promise<void> {
  await db.run(sql`DELETE FROM artifacts WHERE ${tenantFilter(tenantId)} AND session_id NOT IN (SELECT id FROM sessions)`);
}

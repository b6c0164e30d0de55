import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { planEventPruning, planSessionRetention, type RetentionPolicy } from "../core/retention";
import { unwrap, type Result } from "../core/errors";
import { sessionStubFor } from "../api/session-stub";
import { ArtifactStore } from "../artifacts/store";
import type { Env } from "../env";

export type RetentionReport = {
  dry_run: boolean;
  sessions_soft_deleted: string[];
  sessions_hard_deleted: string[];
  events_pruned: { session_id: string; count: number }[];
  orphans_removed: { runs: number; events: number; artifacts: number };
  errors: { session_id: string; message: string }[];
  duration_ms: number;
};

type SessionRow = { id: string; tenant_id: string; status: string; tags: string; updated_at: string; deleted_at: string | null };

/**
 * Applies (or, with dry_run, only reports) a retention policy for one tenant, or for all of them from the
 * cron. Session changes go through each session's DO — the single writer — which removes its own rows from
 * D1 transactionally; orphans (rows whose session is gone) are swept at the end.
 */
export async function runRetention(env: Env, policy: RetentionPolicy, opts: { tenantId: string | null; dryRun: boolean; now?: Date }): Promise<RetentionReport> {
  const started = Date.now();
  const db = drizzle(env.DB);
  const now = opts.now ?? new Date();
  const tenantFilter = opts.tenantId === null ? sql`1 = 1` : sql`tenant_id = ${opts.tenantId}`;
  const sessions = await db.all<SessionRow>(sql`SELECT id, tenant_id, status, tags, updated_at, deleted_at FROM sessions WHERE ${tenantFilter}`);
  const tenantOf = new Map(sessions.map((s) => [s.id, s.tenant_id]));
  const plan = planSessionRetention(
    sessions.map((s) => ({ id: s.id, status: s.status, tags: JSON.parse(s.tags || "[]") as string[], updated_at: s.updated_at, deleted_at: s.deleted_at })),
    policy, now,
  );
  const report: RetentionReport = {
    dry_run: opts.dryRun, sessions_soft_deleted: plan.soft_delete, sessions_hard_deleted: plan.hard_delete,
    events_pruned: [], orphans_removed: { runs: 0, events: 0, artifacts: 0 }, errors: [], duration_ms: 0,
  };

  const cap = policy.max_events_per_session;
  if (cap !== null && cap !== undefined) {
    const over = await db.all<{ session_id: string }>(sql`SELECT session_id FROM events WHERE ${tenantFilter} GROUP BY session_id HAVING COUNT(*) > ${cap}`);
    for (const { session_id } of over) {
      if (plan.hard_delete.includes(session_id)) continue;
      const rows = await db.all<{ sequence: number; type: string }>(sql`SELECT sequence, type FROM events WHERE session_id = ${session_id} ORDER BY sequence`);
      const doomed = planEventPruning(rows, policy);
      if (doomed.length > 0) report.events_pruned.push({ session_id, count: doomed.length });
    }
  }
  if (opts.dryRun) {
    report.duration_ms = Date.now() - started;
    return report;
  }

  const each = async (ids: string[], fn: (stub: ReturnType<typeof sessionStubFor>, tenant: string, id: string) => Promise<void>) => {
    for (const id of ids) {
      const tenant = tenantOf.get(id);
      if (!tenant) continue;
      try {
        await fn(sessionStubFor(env, tenant, id), tenant, id);
      } catch (err) {
        report.errors.push({ session_id: id, message: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await each(plan.soft_delete, async (stub) => { unwrap((await stub.deleteSession(false)) as Result<unknown>); });
  await each(plan.hard_delete, async (stub, tenant) => {
    const result = unwrap((await stub.deleteSession(true)) as Result<{ artifact_keys: string[] }>);
    await new ArtifactStore(env.ARTIFACTS, env.DB).deleteObjects(tenant, result.artifact_keys);
  });
  await each(report.events_pruned.map((p) => p.session_id), async (stub) => {
    unwrap((await stub.applyRetention(policy)) as Result<unknown>);
  });

  const orphanRuns = await db.run(sql`DELETE FROM runs WHERE ${tenantFilter} AND session_id NOT IN (SELECT id FROM sessions)`);
  const orphanEvents = await db.run(sql`DELETE FROM events WHERE ${tenantFilter} AND session_id NOT IN (SELECT id FROM sessions)`);
  const orphanArtifacts = await db.all<{ key: string; tenant_id: string }>(sql`SELECT key, tenant_id FROM artifacts WHERE ${tenantFilter} AND session_id NOT IN (SELECT id FROM sessions)`);
  for (const a of orphanArtifacts) await new ArtifactStore(env.ARTIFACTS, env.DB).deleteObjects(a.tenant_id, [a.key]);
  await db.run(sql`DELETE FROM artifacts WHERE ${tenantFilter} AND session_id NOT IN (SELECT id FROM sessions)`);
  report.orphans_removed = { runs: orphanRuns.meta.changes ?? 0, events: orphanEvents.meta.changes ?? 0, artifacts: orphanArtifacts.length };
  report.duration_ms = Date.now() - started;
  return report;
}

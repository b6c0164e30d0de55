import { drizzle } from "drizzle-orm/d1";
import { planEventPruning, planSessionRetention, RetentionPolicySchema, type RetentionPolicy } from "../core/retention";
import { unwrap } from "../core/errors";
import { ArtifactStore } from "../artifacts/store";
import { sessionStubFor, type SessionStub } from "../session/address";
import {
  deleteOrphanArtifactRows,
  deleteOrphanEvents,
  deleteOrphanRuns,
  eventTypesBySequence,
  orphanArtifacts,
  retentionCandidates,
  sessionsOverEventCap,
} from "../store/retention";
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

/** The retention policy configured for the deployment (RETENTION_POLICY, JSON), over the built-in defaults. */
function retentionDefaults(env: Record<string, unknown>): Record<string, unknown> {
  const raw = env.RETENTION_POLICY;
  if (typeof raw !== "string" || raw === "") return {};
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The deployment's policy with a caller's overrides on top (the API's body; none for the cron). */
export function retentionPolicy(env: Record<string, unknown>, overrides: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return RetentionPolicySchema.parse({ ...retentionDefaults(env), ...overrides });
}

/**
 * Applies (or, with dry_run, only reports) a retention policy for one tenant, or for all of them from the
 * cron. Session changes go through each session's DO — the single writer — which removes its own rows from
 * D1 transactionally; orphans (rows whose session is gone) are swept at the end.
 */
export async function runRetention(
  env: Env,
  policy: RetentionPolicy,
  opts: { tenantId: string | null; dryRun: boolean; now?: Date },
): Promise<RetentionReport> {
  const started = Date.now();
  const db = drizzle(env.DB);
  const now = opts.now ?? new Date();
  const sessions = await retentionCandidates(db, opts.tenantId);
  const tenantOf = new Map(sessions.map((s) => [s.id, s.tenant_id]));
  const plan = planSessionRetention(sessions, policy, now);
  const report: RetentionReport = {
    dry_run: opts.dryRun,
    sessions_soft_deleted: plan.soft_delete,
    sessions_hard_deleted: plan.hard_delete,
    events_pruned: [],
    orphans_removed: { runs: 0, events: 0, artifacts: 0 },
    errors: [],
    duration_ms: 0,
  };

  const cap = policy.max_events_per_session;
  if (cap !== null && cap !== undefined) {
    for (const session_id of await sessionsOverEventCap(db, opts.tenantId, cap)) {
      if (plan.hard_delete.includes(session_id)) continue;
      const doomed = planEventPruning(await eventTypesBySequence(db, session_id), policy);
      if (doomed.length > 0) report.events_pruned.push({ session_id, count: doomed.length });
    }
  }
  if (opts.dryRun) {
    report.duration_ms = Date.now() - started;
    return report;
  }

  const each = async (ids: string[], fn: (stub: SessionStub, tenant: string, id: string) => Promise<void>) => {
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
  const artifacts = new ArtifactStore(env.ARTIFACTS, env.DB);
  await each(plan.soft_delete, async (stub) => {
    unwrap(await stub.deleteSession(false));
  });
  await each(plan.hard_delete, async (stub, tenant) => {
    const result = unwrap(await stub.deleteSession(true));
    await artifacts.deleteObjects(tenant, result.artifact_keys);
  });
  await each(
    report.events_pruned.map((p) => p.session_id),
    async (stub) => {
      unwrap(await stub.applyRetention(policy));
    },
  );

  const runs = await deleteOrphanRuns(db, opts.tenantId);
  const events = await deleteOrphanEvents(db, opts.tenantId);
  const orphans = await orphanArtifacts(db, opts.tenantId);
  for (const a of orphans) await artifacts.deleteObjects(a.tenant_id, [a.key]);
  await deleteOrphanArtifactRows(db, opts.tenantId);
  report.orphans_removed = { runs, events, artifacts: orphans.length };
  report.duration_ms = Date.now() - started;
  return report;
}

import { checkHealth, type HealthReport } from "../store/health";
import { D1SessionStore } from "../store/session-store";
import { sessionStubFor } from "../session/address";
import type { FlushStatus } from "../session/flusher";
import type { Env } from "../env";

export type FlushLag = { session_id: string } & Pick<
  FlushStatus,
  "last_sequence" | "flushed_through" | "lag_events" | "consecutive_failures" | "last_error"
>;
export type TenantHealth = HealthReport & { healthy: boolean; flush_lag: FlushLag[] };

/**
 * One tenant's consistency report: the D1 checks (gaps, orphans, stuck sessions and runs) and, since flush lag
 * lives in each session's DO, the lag of the `lagSessions` most recently updated sessions.
 */
export async function tenantHealth(
  env: Env,
  tenantId: string,
  opts: { stuckAfterHours: number; lagSessions: number; now?: number },
): Promise<TenantHealth> {
  const store = new D1SessionStore(env.DB);
  const now = opts.now ?? Date.now();
  const report = await checkHealth(store.db, tenantId, new Date(now - opts.stuckAfterHours * 3_600_000).toISOString());
  const recent = (await store.listSessions(tenantId, { limit: Math.max(1, opts.lagSessions) })).items.slice(0, opts.lagSessions);
  const flush_lag = await Promise.all(
    recent.map(async (s): Promise<FlushLag> => {
      const stats = await sessionStubFor(env, tenantId, s.id).stats();
      return {
        session_id: s.id,
        last_sequence: stats.last_sequence,
        flushed_through: stats.flushed_through,
        lag_events: stats.lag_events,
        consecutive_failures: stats.consecutive_failures,
        last_error: stats.last_error,
      };
    }),
  );
  const healthy = report.gaps.length === 0 && report.orphaned_runs.length === 0 && report.orphaned_events.length === 0;
  return { healthy, ...report, flush_lag };
}

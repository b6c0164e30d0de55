import type { SessionStats } from "../core/session-stats";
import { EMPTY_USAGE } from "../core/usage";

/** The filters of a per-session event read (GET …/events), shared by the read, the count and the export. */
export type EventFilter = {
  after?: number | undefined;
  before?: number | undefined;
  run_id?: string | undefined;
  types?: readonly string[] | undefined;
  since?: string | undefined;
  until?: string | undefined;
};

/** The WHERE clause of an event filter over the DO's `events` table (log.ts). */
export function eventWhere(f: EventFilter): { sql: string; args: (string | number)[] } {
  const where: string[] = ["sequence > ?"];
  const args: (string | number)[] = [f.after ?? 0];
  if (f.before !== undefined) {
    where.push("sequence < ?");
    args.push(f.before);
  }
  if (f.run_id !== undefined) {
    where.push("run_id = ?");
    args.push(f.run_id);
  }
  if (f.types && f.types.length > 0) {
    where.push(`type IN (${f.types.map(() => "?").join(",")})`);
    args.push(...f.types);
  }
  if (f.since !== undefined) {
    where.push("timestamp >= ?");
    args.push(f.since);
  }
  if (f.until !== undefined) {
    where.push("timestamp <= ?");
    args.push(f.until);
  }
  return { sql: where.join(" AND "), args };
}

/** Events matching the filter (GET …/events/count). Read-only; the log's own write path is untouched. */
export function countEvents(sql: SqlStorage, f: EventFilter): number {
  const w = eventWhere(f);
  return Number(sql.exec(`SELECT COUNT(*) AS c FROM events WHERE ${w.sql}`, ...w.args).one().c);
}

/**
 * A session's totals, computed from its own storage (events and runs tables of the DO), so they agree with what
 * the session's reads return at the same moment, unlike D1 which trails by the flush interval.
 */
export function sessionStats(sql: SqlStorage, sessionId: string, latestSequence: number): SessionStats {
  const ev = sql
    .exec<{ n: number; first: string | null; last: string | null }>(
      `SELECT COUNT(*) AS n, MIN(timestamp) AS first, MAX(timestamp) AS last FROM events`,
    )
    .one();
  const byType = sql.exec<{ type: string; n: number }>(`SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY type`).toArray();
  const eventProviders = sql
    .exec<{ p: string }>(`SELECT DISTINCT provider AS p FROM events WHERE provider IS NOT NULL`)
    .toArray()
    .map((r) => r.p);
  const runs = sql
    .exec<{
      status: string;
      provider: string | null;
      n: number;
      input: number;
      output: number;
      cr: number;
      cc: number;
      total: number;
      cost: number;
      priced: number;
    }>(
      `SELECT status, json_extract(data, '$.provider') AS provider, COUNT(*) AS n,
       COALESCE(SUM(json_extract(data, '$.token_usage.input')), 0) AS input,
       COALESCE(SUM(json_extract(data, '$.token_usage.output')), 0) AS output,
       COALESCE(SUM(json_extract(data, '$.token_usage.cache_read')), 0) AS cr,
       COALESCE(SUM(json_extract(data, '$.token_usage.cache_creation')), 0) AS cc,
       COALESCE(SUM(json_extract(data, '$.token_usage.total')), 0) AS total,
       COALESCE(SUM(json_extract(data, '$.cost_usd')), 0) AS cost,
       SUM(CASE WHEN json_extract(data, '$.cost_usd') IS NULL THEN 0 ELSE 1 END) AS priced
     FROM runs GROUP BY status, provider`,
    )
    .toArray();
  const tokens = { ...EMPTY_USAGE };
  const status_counts: Record<string, number> = {};
  const providers = new Set<string>(eventProviders);
  let runCount = 0,
    cost = 0,
    priced = 0;
  for (const r of runs) {
    const n = Number(r.n);
    runCount += n;
    status_counts[r.status] = (status_counts[r.status] ?? 0) + n;
    if (r.provider) providers.add(r.provider);
    tokens.input += Number(r.input);
    tokens.output += Number(r.output);
    tokens.cache_read += Number(r.cr);
    tokens.cache_creation += Number(r.cc);
    tokens.total += Number(r.total);
    cost += Number(r.cost);
    priced += Number(r.priced);
  }
  return {
    session_id: sessionId,
    event_count: Number(ev.n),
    latest_sequence: latestSequence,
    first_event_at: ev.first ?? null,
    last_event_at: ev.last ?? null,
    event_type_counts: Object.fromEntries(byType.map((t) => [t.type, Number(t.n)])),
    run_count: runCount,
    status_counts,
    token_totals: tokens,
    cost_usd: priced > 0 ? Math.round(cost * 1e10) / 1e10 : null,
    providers_used: [...providers].sort(),
  };
}

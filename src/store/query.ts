import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { decodeCursor, encodeCursor } from "../core/cursor";
import { AppError } from "../core/errors";
import type { Event } from "../core/event";
import type { CostSummary, QueryCost, QueryEvents, QueryRuns } from "../core/query";
import type { Run } from "../core/run";
import { rowToEvent, rowToRun } from "./codec";
import { events, runs } from "./schema";
import type { Page } from "./session-store";

/** Cross-session reads over D1. Every query is filtered on the caller's tenant first. */
export class QueryStore {
  constructor(private readonly db: DrizzleD1Database) {}

  async runs(tenantId: string, q: QueryRuns): Promise<Page<Run>> {
    const where: (SQL | undefined)[] = [eq(runs.tenantId, tenantId)];
    if (q.provider?.length) where.push(inArray(runs.provider, q.provider));
    if (q.status?.length) where.push(inArray(runs.status, q.status));
    if (q.session_id) where.push(eq(runs.sessionId, q.session_id));
    if (q.model) where.push(eq(runs.model, q.model));
    if (q.since) where.push(gte(runs.queuedAt, q.since));
    if (q.until) where.push(lte(runs.queuedAt, q.until));
    if (q.min_tokens !== undefined) where.push(gte(runs.totalTokens, q.min_tokens));
    const byTokens = q.order_by === "total_tokens_desc" || q.order_by === "token_usage_desc";
    const byStart = q.order_by === "started_at_desc" || q.order_by === "started_at_asc";
    const descending = q.order_by !== "queued_at_asc" && q.order_by !== "started_at_asc";
    // A run not started yet sorts by its queued time under the started_at orders.
    const key: SQL = byTokens
      ? sql`${runs.totalTokens}`
      : byStart
        ? sql`COALESCE(${runs.startedAt}, ${runs.queuedAt})`
        : sql`${runs.queuedAt}`;
    if (q.cursor) {
      const c = decodeCursor(q.cursor, tenantId, "runs", q.order_by);
      if (byTokens && typeof c.v !== "number") throw new AppError("invalid_cursor", "The cursor is malformed");
      const cmp = descending ? lt : gt;
      where.push(or(cmp(key, c.v), and(eq(key, c.v), cmp(runs.id, c.i))));
    }
    const order = descending ? [desc(key), desc(runs.id)] : [asc(key), asc(runs.id)];
    const rows = await this.db
      .select()
      .from(runs)
      .where(and(...where))
      .orderBy(...order)
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit).map(rowToRun);
    const last = items[items.length - 1];
    const next_cursor =
      rows.length > q.limit && last
        ? encodeCursor({
            t: tenantId,
            k: "runs",
            o: q.order_by,
            v: byTokens ? last.token_usage.total : byStart ? (last.started_at ?? last.queued_at) : last.queued_at,
            i: last.id,
          })
        : null;
    return { items, next_cursor };
  }

  async cost(tenantId: string, q: QueryCost): Promise<CostSummary> {
    const where: (SQL | undefined)[] = [eq(runs.tenantId, tenantId)];
    if (q.session_id) where.push(eq(runs.sessionId, q.session_id));
    if (q.since) where.push(gte(runs.queuedAt, q.since));
    if (q.until) where.push(lte(runs.queuedAt, q.until));
    const tokens = (k: string) => sql<number>`COALESCE(SUM(json_extract(${runs.tokenUsage}, ${`$.${k}`})), 0)`;
    const grouped = await this.db
      .select({
        provider: runs.provider,
        model: sql<string>`COALESCE(${runs.model}, '(default)')`,
        cost: sql<number>`COALESCE(SUM(${runs.costUsd}), 0)`,
        runCount: sql<number>`COUNT(*)`,
        unpriced: sql<number>`SUM(CASE WHEN ${runs.costUsd} IS NULL THEN 1 ELSE 0 END)`,
        input: tokens("input"),
        output: tokens("output"),
        cacheRead: tokens("cache_read"),
        cacheCreation: tokens("cache_creation"),
        total: sql<number>`COALESCE(SUM(${runs.totalTokens}), 0)`,
      })
      .from(runs)
      .where(and(...where))
      .groupBy(runs.provider, sql`COALESCE(${runs.model}, '(default)')`);
    const summary: CostSummary = {
      total_cost_usd: 0,
      run_count: 0,
      unpriced_runs: 0,
      tokens: { input: 0, output: 0, cache_read: 0, cache_creation: 0, total: 0 },
      by_provider: {},
      by_model: {},
    };
    const add = (map: CostSummary["by_provider"], k: string, cost: number, n: number, t: number) => {
      const b = (map[k] ??= { cost_usd: 0, run_count: 0, total_tokens: 0 });
      b.cost_usd = round(b.cost_usd + cost);
      b.run_count += n;
      b.total_tokens += t;
    };
    for (const g of grouped) {
      const cost = Number(g.cost),
        n = Number(g.runCount),
        t = Number(g.total);
      summary.total_cost_usd = round(summary.total_cost_usd + cost);
      summary.run_count += n;
      summary.unpriced_runs += Number(g.unpriced);
      summary.tokens.input += Number(g.input);
      summary.tokens.output += Number(g.output);
      summary.tokens.cache_read += Number(g.cacheRead);
      summary.tokens.cache_creation += Number(g.cacheCreation);
      summary.tokens.total += t;
      add(summary.by_provider, g.provider, cost, n, t);
      add(summary.by_model, g.model, cost, n, t);
    }
    return summary;
  }

  async events(tenantId: string, q: QueryEvents): Promise<Page<Event>> {
    const where: (SQL | undefined)[] = [eq(events.tenantId, tenantId)];
    if (q.type?.length) where.push(inArray(events.type, q.type));
    if (q.provider?.length) where.push(inArray(events.provider, q.provider));
    if (q.session_id) where.push(eq(events.sessionId, q.session_id));
    if (q.run_id) where.push(eq(events.runId, q.run_id));
    if (q.correlation_id) where.push(eq(events.correlationId, q.correlation_id));
    if (q.since) where.push(gte(events.timestamp, q.since));
    if (q.until) where.push(lte(events.timestamp, q.until));
    if (q.cursor) {
      const c = decodeCursor(q.cursor, tenantId, "events", "timestamp_asc");
      // The id part is "<session_id>:<sequence>", so ties on timestamp page deterministically.
      const [sid, seqText] = c.i.split(":");
      const seq = Number(seqText);
      if (!sid || !Number.isInteger(seq)) throw new AppError("invalid_cursor", "The cursor is malformed");
      const v = String(c.v);
      where.push(
        or(
          gt(events.timestamp, v),
          and(eq(events.timestamp, v), or(gt(events.sessionId, sid), and(eq(events.sessionId, sid), gt(events.sequence, seq)))),
        ),
      );
    }
    const rows = await this.db
      .select()
      .from(events)
      .where(and(...where))
      .orderBy(asc(events.timestamp), asc(events.sessionId), asc(events.sequence))
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit).map(rowToEvent);
    const last = items[items.length - 1];
    const next_cursor =
      rows.length > q.limit && last
        ? encodeCursor({ t: tenantId, k: "events", o: "timestamp_asc", v: last.timestamp, i: `${last.session_id}:${last.sequence}` })
        : null;
    return { items, next_cursor };
  }
}

/** Sums of dollar amounts are kept to 1e-10 so float drift never shows at the cent. */
function round(n: number): number {
  return Math.round(n * 1e10) / 1e10;
}

import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { Event } from "../core/event";
import type { Run } from "../core/run";
import type { ListSessionsQuery, Session } from "../core/session";
import { artifacts, events, runs, sessions } from "./schema";
import { eventInsertPayloads, INSERT_EVENTS_FROM_JSON } from "./event-insert";
import { rowToEvent, rowToRun, rowToSession, runToRow, sessionToRow } from "./codec";

/**
 * `session` is a changed session row (upserted); `lastSequence` moves only the `last_sequence` of a row that is
 * already in D1 and otherwise unchanged (the common case while events stream in).
 */
export type FlushBatch = { tenantId: string; session: Session | null; lastSequence?: number | null; runs: Run[]; events: Event[] };
export type Page<T> = { items: T[]; next_cursor: string | null };

/** `meta.rows_written` of a D1 result, when the driver passed one through. */
function rowsWrittenOf(result: unknown): number {
  const meta = (result as { meta?: { rows_written?: unknown } } | null)?.meta;
  return typeof meta?.rows_written === "number" ? meta.rows_written : 0;
}

/** The D1 session store: cross-session reads, and the flusher's idempotent, all-or-nothing writes. */
export class D1SessionStore {
  readonly db: DrizzleD1Database;

  constructor(private readonly d1: D1Database) {
    this.db = drizzle(d1);
  }

  /**
   * Writes a session row, run rows and events in one transaction. Events are idempotent on (session, sequence).
   * Returns the rows D1 reports written (its `meta.rows_written`, what it bills).
   */
  async flush(batch: FlushBatch): Promise<number> {
    const statements: D1PreparedStatement[] = [];
    if (batch.session) {
      const row = sessionToRow(batch.session);
      const { id: _id, ...update } = row;
      statements.push(this.bound(this.db.insert(sessions).values(row).onConflictDoUpdate({ target: sessions.id, set: update })));
    } else if (batch.lastSequence != null && batch.events[0]) {
      statements.push(
        this.bound(
          this.db
            .update(sessions)
            .set({ lastSequence: sql`MAX(${sessions.lastSequence}, ${batch.lastSequence})` })
            .where(and(eq(sessions.tenantId, batch.tenantId), eq(sessions.id, batch.events[0].session_id))),
        ),
      );
    }
    for (const run of batch.runs) {
      const row = runToRow(run, batch.tenantId);
      const { id: _id, ...update } = row;
      statements.push(this.bound(this.db.insert(runs).values(row).onConflictDoUpdate({ target: runs.id, set: update })));
    }
    for (const payload of eventInsertPayloads(batch.events, batch.tenantId)) {
      statements.push(this.d1.prepare(INSERT_EVENTS_FROM_JSON).bind(payload));
    }
    if (statements.length === 0) return 0;
    const results = await this.d1.batch(statements);
    return results.reduce<number>((sum, r) => sum + rowsWrittenOf(r), 0);
  }

  /** A drizzle-built statement as a raw D1 one, so it can share a D1 batch (one transaction) with the event inserts. */
  private bound(query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
    const { sql: text, params } = query.toSQL();
    return this.d1.prepare(text).bind(...params);
  }

  async getSession(tenantId: string, id: string): Promise<Session | null> {
    const rows = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id)))
      .limit(1);
    return rows[0] ? rowToSession(rows[0]) : null;
  }

  /**
   * Keyset-paged on (created_at or updated_at, id) in the requested order (created_at_desc by default). Filters:
   * status, agent, tags (all must match), provider (a run of it, or metadata.provider), min_tokens, creation window.
   */
  async listSessions(tenantId: string, q: ListSessionsQuery): Promise<Page<Session>> {
    const limit = q.limit ?? 50;
    const order = q.order_by ?? "created_at_desc";
    const where: (SQL | undefined)[] = [eq(sessions.tenantId, tenantId)];
    if (!q.include_deleted) where.push(isNull(sessions.deletedAt));
    if (q.status) where.push(eq(sessions.status, q.status));
    if (q.agent_id) where.push(eq(sessions.agentId, q.agent_id));
    for (const tag of new Set([...(q.tag ? [q.tag] : []), ...(q.tags ?? [])])) {
      where.push(sql`EXISTS (SELECT 1 FROM json_each(${sessions.tags}) WHERE json_each.value = ${tag})`);
    }
    if (q.provider?.length) {
      where.push(
        or(
          inArray(sql`json_extract(${sessions.metadata}, '$.provider')`, q.provider),
          sql`EXISTS (SELECT 1 FROM ${runs} WHERE ${runs.tenantId} = ${tenantId} AND ${runs.sessionId} = ${sessions.id} AND ${inArray(runs.provider, q.provider)})`,
        ),
      );
    }
    if (q.min_tokens !== undefined) where.push(gte(sessions.totalTokens, q.min_tokens));
    if (q.created_since) where.push(gte(sessions.createdAt, new Date(q.created_since).toISOString()));
    if (q.created_until) where.push(lte(sessions.createdAt, new Date(q.created_until).toISOString()));
    const key = order === "updated_at_desc" ? sessions.updatedAt : sessions.createdAt;
    const descending = order !== "created_at_asc";
    if (q.cursor) {
      const c = decodeCursor(q.cursor, tenantId, "sessions", order);
      const v = String(c.v);
      const cmp = descending ? lt : gt;
      where.push(or(cmp(key, v), and(eq(key, v), cmp(sessions.id, c.i))));
    }
    const rows = await this.db
      .select()
      .from(sessions)
      .where(and(...where))
      .orderBy(...(descending ? [desc(key), desc(sessions.id)] : [asc(key), asc(sessions.id)]))
      .limit(limit + 1);
    const items = rows.slice(0, limit).map(rowToSession);
    const last = items[items.length - 1];
    const next_cursor =
      rows.length > limit && last
        ? encodeCursor({
            t: tenantId,
            k: "sessions",
            o: order,
            v: order === "updated_at_desc" ? last.updated_at : last.created_at,
            i: last.id,
          })
        : null;
    return { items, next_cursor };
  }

  async listRuns(tenantId: string, sessionId: string): Promise<Run[]> {
    const rows = await this.db
      .select()
      .from(runs)
      .where(and(eq(runs.tenantId, tenantId), eq(runs.sessionId, sessionId)))
      .orderBy(asc(runs.queuedAt), asc(runs.id));
    return rows.map(rowToRun);
  }

  async getEvents(tenantId: string, sessionId: string, after = 0, limit = 1000): Promise<Event[]> {
    const rows = await this.db
      .select()
      .from(events)
      .where(and(eq(events.tenantId, tenantId), eq(events.sessionId, sessionId), gt(events.sequence, after)))
      .orderBy(asc(events.sequence))
      .limit(limit);
    return rows.map(rowToEvent);
  }

  async countEvents(tenantId: string, sessionId: string): Promise<number> {
    const rows = await this.db
      .select({ n: sql<number>`count(*)` })
      .from(events)
      .where(and(eq(events.tenantId, tenantId), eq(events.sessionId, sessionId)));
    return Number(rows[0]?.n ?? 0);
  }

  /** Retention: removes pruned events from D1 and counts them on the session row, in one transaction. */
  async pruneEvents(tenantId: string, sessionId: string, sequences: number[]): Promise<void> {
    const statements: BatchItem<"sqlite">[] = [];
    for (let i = 0; i < sequences.length; i += 90) {
      const chunk = sequences.slice(i, i + 90);
      statements.push(
        this.db.delete(events).where(and(eq(events.tenantId, tenantId), eq(events.sessionId, sessionId), inArray(events.sequence, chunk))),
      );
    }
    statements.push(
      this.db
        .update(sessions)
        .set({ prunedEvents: sql`${sessions.prunedEvents} + ${sequences.length}` })
        .where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, sessionId))),
    );
    await this.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  }

  /** Removes a session with its runs, events and artifact rows in one transaction. Returns the artifact keys. */
  async hardDeleteSession(tenantId: string, sessionId: string): Promise<string[]> {
    const keys = await this.db
      .select({ key: artifacts.key })
      .from(artifacts)
      .where(and(eq(artifacts.tenantId, tenantId), eq(artifacts.sessionId, sessionId)));
    await this.db.batch([
      this.db.delete(events).where(and(eq(events.tenantId, tenantId), eq(events.sessionId, sessionId))),
      this.db.delete(runs).where(and(eq(runs.tenantId, tenantId), eq(runs.sessionId, sessionId))),
      this.db.delete(artifacts).where(and(eq(artifacts.tenantId, tenantId), eq(artifacts.sessionId, sessionId))),
      this.db.delete(sessions).where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, sessionId))),
    ]);
    return keys.map((k) => k.key);
  }
}

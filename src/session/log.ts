import { assertReadableVersion, type Event, type EventOrigin, type EventQuery } from "../core/event";
import type { EventType } from "../core/event-types";
import { parseJsonColumn } from "../core/json";
import { RecentFrames } from "./recent-frames";

/** One prepared event, sequence not yet assigned. */
export type PendingEvent = Omit<Event, "sequence" | "session_id">;

type Row = {
  sequence: number;
  id: string;
  run_id: string | null;
  type: string;
  timestamp: string;
  provider: string | null;
  correlation_id: string | null;
  schema_version: number;
  origin: string;
  data: string;
  metadata: string;
};

/**
 * Events stored before the origin was recorded read as `client`: the service does not vouch for what it
 * cannot tell it wrote.
 */
const LEGACY_ORIGIN: EventOrigin = "client";

export type LogFilter = { run_id?: string | undefined; types?: readonly string[] | undefined };

/** How many of the newest events (and their frames) stay in memory for subscribers at the head of the log. */
const RECENT_FRAMES = 4_096;

/** The columns of an event row, whoever numbered it. */
type EventRowFields = Pick<
  Event,
  "id" | "run_id" | "type" | "timestamp" | "provider" | "correlation_id" | "schema_version" | "origin" | "data" | "metadata"
>;

/** Writes one event row at `sequence`: the log's own append and an import (which keeps the export's numbers) share it. */
export function insertEventRow(sql: SqlStorage, e: EventRowFields, sequence: number): void {
  sql.exec(
    `INSERT INTO events (sequence, id, run_id, type, timestamp, provider, correlation_id, schema_version, origin, data, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    sequence,
    e.id,
    e.run_id,
    e.type,
    e.timestamp,
    e.provider,
    e.correlation_id,
    e.schema_version,
    e.origin,
    JSON.stringify(e.data),
    JSON.stringify(e.metadata),
  );
}

/**
 * The session's write-ahead event log in the Durable Object's SQLite storage. All calls are synchronous:
 * the DO runs one call at a time, so a read followed by a write here cannot interleave with another append.
 * Its tables are created by the storage migrations (storage-schema.ts).
 */
export class EventLog {
  private last: number;
  /** The newest events with their serialised frames, shared by every live subscriber at the head. */
  readonly recent = new RecentFrames(RECENT_FRAMES);

  constructor(
    private readonly sql: SqlStorage,
    private readonly sessionId: () => string,
  ) {
    this.last = this.storedLast();
  }

  private storedLast(): number {
    return Number(
      this.sql
        .exec(`SELECT MAX(COALESCE((SELECT MAX(sequence) FROM events), 0), COALESCE((SELECT floor FROM log_meta WHERE id = 1), 0)) AS m`)
        .one().m,
    );
  }

  get lastSequence(): number {
    return this.last;
  }

  /**
   * Appends in order and returns the stored events. An id already in the log returns the stored event with its
   * original sequence and uses no new number. Runs inside one storage transaction: all or nothing.
   * Only caller-supplied ids (`suppliedIds`) are looked up: ids we generate are 128 random bits and cannot repeat.
   */
  append(
    batch: readonly PendingEvent[],
    storage: DurableObjectStorage,
    suppliedIds: ReadonlySet<string>,
  ): { events: Event[]; fresh: Event[] } {
    const result = storage.transactionSync(() => {
      const events: Event[] = [];
      const fresh: Event[] = [];
      const seenInBatch = new Map<string, Event>();
      for (const e of batch) {
        const existing = seenInBatch.get(e.id) ?? (suppliedIds.has(e.id) ? this.byId(e.id) : null);
        if (existing) {
          events.push(existing);
          continue;
        }
        const sequence = this.last + 1;
        insertEventRow(this.sql, e, sequence);
        this.last = sequence;
        const stored = this.stored(e, sequence);
        seenInBatch.set(e.id, stored);
        events.push(stored);
        fresh.push(stored);
      }
      return { events, fresh };
    });
    this.recent.add(result.fresh);
    return result;
  }

  /** Rolls the in-memory counter back to storage after a failed transaction. */
  resync(): void {
    this.last = this.storedLast();
    this.recent.clear();
  }

  byId(id: string): Event | null {
    const rows = this.sql.exec<Row>(`SELECT * FROM events WHERE id = ?`, id).toArray();
    return rows[0] ? this.toEvent(rows[0]) : null;
  }

  /** Events with sequence > after (and < before), filtered, ascending, at most `limit`. */
  read(
    q: Pick<EventQuery, "after" | "before" | "run_id"> & {
      types?: readonly string[];
      limit: number;
      since?: string | undefined;
      until?: string | undefined;
    },
  ): Event[] {
    const where: string[] = ["sequence > ?"];
    const args: (string | number)[] = [q.after ?? 0];
    if (q.before !== undefined) {
      where.push("sequence < ?");
      args.push(q.before);
    }
    if (q.run_id !== undefined) {
      where.push("run_id = ?");
      args.push(q.run_id);
    }
    if (q.types && q.types.length > 0) {
      where.push(`type IN (${q.types.map(() => "?").join(",")})`);
      args.push(...q.types);
    }
    if (q.since !== undefined) {
      where.push("timestamp >= ?");
      args.push(q.since);
    }
    if (q.until !== undefined) {
      where.push("timestamp <= ?");
      args.push(q.until);
    }
    args.push(q.limit);
    return this.sql
      .exec<Row>(`SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY sequence LIMIT ?`, ...args)
      .toArray()
      .map((r) => this.toEvent(r));
  }

  /**
   * Events from `fromSequence` inclusive, in ascending order, for flushing (unfiltered). While the flusher keeps
   * up they are still in memory, and are not read back from storage and parsed again.
   */
  range(fromSequence: number, limit: number): Event[] {
    if (this.recent.covers(fromSequence)) return this.recent.events(fromSequence, limit);
    return this.read({ after: fromSequence - 1, limit });
  }

  /** Retention: removes the given sequences. The counter is untouched, so numbering never goes back. */
  deleteSequences(sequences: readonly number[]): number {
    this.recent.clear();
    this.sql.exec(
      `INSERT INTO log_meta (id, floor) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET floor = MAX(floor, excluded.floor)`,
      this.last,
    );
    let removed = 0;
    for (let i = 0; i < sequences.length; i += 500) {
      const chunk = sequences.slice(i, i + 500);
      removed += this.sql.exec(`DELETE FROM events WHERE sequence IN (${chunk.map(() => "?").join(",")})`, ...chunk).rowsWritten;
    }
    return removed;
  }

  /** (sequence, type) of every event, oldest first, for retention planning. */
  index(): { sequence: number; type: string }[] {
    return this.sql.exec<{ sequence: number; type: string }>(`SELECT sequence, type FROM events ORDER BY sequence`).toArray();
  }

  count(): number {
    return Number(this.sql.exec(`SELECT COUNT(*) AS c FROM events`).one().c);
  }

  /**
   * A just-written event in the same shape (and key order) as one read back by `toEvent`, so the frame a
   * live subscriber gets is byte-for-byte the one a replay from storage would send.
   */
  private stored(e: PendingEvent, sequence: number): Event {
    return {
      id: e.id,
      session_id: this.sessionId(),
      run_id: e.run_id,
      sequence,
      type: e.type,
      timestamp: e.timestamp,
      provider: e.provider,
      correlation_id: e.correlation_id,
      schema_version: e.schema_version,
      origin: e.origin === "service" ? "service" : LEGACY_ORIGIN,
      data: e.data,
      metadata: e.metadata,
    };
  }

  private toEvent(r: Row): Event {
    assertReadableVersion(r.schema_version, r.id);
    return {
      id: r.id,
      session_id: this.sessionId(),
      run_id: r.run_id,
      sequence: r.sequence,
      type: r.type as EventType,
      timestamp: r.timestamp,
      provider: r.provider,
      correlation_id: r.correlation_id,
      schema_version: r.schema_version,
      origin: r.origin === "service" ? "service" : LEGACY_ORIGIN,
      data: parseJsonColumn(r.data, {}),
      metadata: parseJsonColumn(r.metadata, {}),
    };
  }
}

export function matchesFilter(event: Event, filter: LogFilter): boolean {
  if (filter.run_id !== undefined && event.run_id !== filter.run_id) return false;
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  return true;
}

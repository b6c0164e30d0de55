import type { Run } from "../core/run";
import { parseJsonColumn } from "../core/json";
import type { Redactor } from "../core/redact";

/**
 * The session's runs in the DO's SQLite, each with a revision so the flusher knows which ones D1 lacks.
 * Every write goes through the redactor: what is stored here (and so flushed to D1 and served by /v1/query)
 * holds no secret in `input`, `output`, `error` (stderr included) or `metadata`.
 */
export class RunRecords {
  /** The `runs` table is created by the storage migrations (storage-schema.ts). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly redactor: Redactor,
  ) {}

  get(id: string): Run | null {
    const row = this.sql.exec<{ data: string }>(`SELECT data FROM runs WHERE id = ?`, id).toArray()[0];
    return row ? parseJsonColumn<Run | null>(row.data, null) : null;
  }

  /** The run submitted under an Idempotency-Key, with the fingerprint of the body it was submitted with (null before fingerprints were kept). */
  byIdempotencyKey(key: string): { run: Run; fingerprint: string | null } | null {
    const row = this.sql
      .exec<{ data: string; request_fingerprint: string | null }>(
        `SELECT data, request_fingerprint FROM runs WHERE idempotency_key = ?`,
        key,
      )
      .toArray()[0];
    const run = row ? parseJsonColumn<Run | null>(row.data, null) : null;
    return row && run ? { run, fingerprint: row.request_fingerprint } : null;
  }

  /** Stores the run (redacted) and returns what was stored; `fingerprint` is kept from the first write of a run. */
  put(run: Run, fingerprint: string | null = null): Run {
    const stored = this.redacted(run);
    this.sql.exec(
      `INSERT INTO runs (id, data, status, queued_at, idempotency_key, revision, request_fingerprint) VALUES (?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT(id) DO UPDATE SET data = excluded.data, status = excluded.status, revision = runs.revision + 1`,
      stored.id,
      JSON.stringify(stored),
      stored.status,
      stored.queued_at,
      stored.idempotency_key,
      fingerprint,
    );
    return stored;
  }

  private redacted(run: Run): Run {
    const { input, output, error, metadata, model } = run;
    const { value, count } = this.redactor.value({ input, output, error, metadata, model });
    return count === 0 ? run : { ...run, ...value };
  }

  list(opts: { status?: readonly string[]; limit: number; after_queued_at?: string }): Run[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.status?.length) {
      where.push(`status IN (${opts.status.map(() => "?").join(",")})`);
      args.push(...opts.status);
    }
    args.push(opts.limit);
    // rowid is insertion order: FIFO even when two runs share a timestamp.
    const sql = `SELECT data FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY rowid LIMIT ?`;
    return this.sql
      .exec<{ data: string }>(sql, ...args)
      .toArray()
      .map((r) => JSON.parse(r.data) as Run);
  }

  /** Runs in submission order after a rowid cursor. */
  page(limit: number, afterRowid: number): { items: Run[]; next: number | null } {
    const rows = this.sql
      .exec<{ data: string; rid: number }>(
        `SELECT data, rowid AS rid FROM runs WHERE rowid > ? ORDER BY rowid LIMIT ?`,
        afterRowid,
        limit + 1,
      )
      .toArray();
    const items = rows.slice(0, limit).map((r) => JSON.parse(r.data) as Run);
    const last = rows[limit - 1];
    return { items, next: rows.length > limit && last ? last.rid : null };
  }

  /** Runs whose latest revision D1 does not hold yet. */
  dirty(limit: number): { run: Run; revision: number }[] {
    return this.sql
      .exec<{ data: string; revision: number }>(
        `SELECT data, revision FROM runs WHERE flushed_revision < revision ORDER BY rowid LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => ({ run: JSON.parse(r.data) as Run, revision: r.revision }));
  }

  markFlushed(id: string, revision: number): void {
    this.sql.exec(`UPDATE runs SET flushed_revision = MAX(flushed_revision, ?) WHERE id = ?`, revision, id);
  }
}

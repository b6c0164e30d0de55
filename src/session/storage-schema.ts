import type { StorageMigration } from "./storage-migrations";
import { ensureColumn } from "./sql-columns";

/** Events stored before `origin` existed were all appended by clients. */
const LEGACY_ORIGIN = "client";

/**
 * The SessionDO's storage schema: kv (session record and counters), the event log with its floor, and the runs.
 * Version 1 is the schema the pre-versioning builds created; its column and index fixes adopt objects those builds
 * wrote at any point of their history.
 */
export const SESSION_MIGRATIONS: readonly StorageMigration[] = [
  {
    version: 1,
    description: "kv, events (origin column, run index), log_meta, runs (request_fingerprint, status index)",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS events (
        sequence INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, run_id TEXT, type TEXT NOT NULL,
        timestamp TEXT NOT NULL, provider TEXT, correlation_id TEXT, schema_version INTEGER NOT NULL,
        data TEXT NOT NULL, metadata TEXT NOT NULL, origin TEXT NOT NULL DEFAULT '${LEGACY_ORIGIN}')`);
      ensureColumn(sql, "events", "origin", `TEXT NOT NULL DEFAULT '${LEGACY_ORIGIN}'`);
      // Secondary indexes are one more row written per event: the type index and the full run index of older
      // builds go; run filters use a partial index, so events outside runs write nothing to it.
      sql.exec(`DROP INDEX IF EXISTS events_type`);
      sql.exec(`DROP INDEX IF EXISTS events_run`);
      sql.exec(`CREATE INDEX IF NOT EXISTS events_run_seq ON events(run_id, sequence) WHERE run_id IS NOT NULL`);
      // The highest sequence ever assigned survives pruning here, so numbering can never go back.
      sql.exec(`CREATE TABLE IF NOT EXISTS log_meta (id INTEGER PRIMARY KEY CHECK (id = 1), floor INTEGER NOT NULL)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, data TEXT NOT NULL, status TEXT NOT NULL, queued_at TEXT NOT NULL,
        idempotency_key TEXT UNIQUE, revision INTEGER NOT NULL, flushed_revision INTEGER NOT NULL DEFAULT 0,
        request_fingerprint TEXT)`);
      ensureColumn(sql, "runs", "request_fingerprint", "TEXT");
      sql.exec(`CREATE INDEX IF NOT EXISTS runs_status ON runs(status, queued_at)`);
    },
  },
];

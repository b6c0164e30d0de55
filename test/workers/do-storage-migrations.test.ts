import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/core/ids";
import { ROUTING_MIGRATIONS } from "../../src/providers/RoutingStateDO";
import { SessionDO } from "../../src/session/SessionDO";
import { migrateStorage, storageVersion, type StorageMigration } from "../../src/session/storage-migrations";
import { SESSION_MIGRATIONS } from "../../src/session/storage-schema";
import { LEDGER_MIGRATIONS } from "../../src/tenants/ledger";

/** A session object nobody has used: its storage is ours to rewrite as an older build would have left it. */
function freshSession() {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`migrations:${newId("ses")}`));
}

/** Empties an object's storage, version row included, so it looks like one no build has touched. */
function wipe(sql: SqlStorage): void {
  const names = sql
    .exec<{ name: string; type: string }>(
      `SELECT name, type FROM sqlite_master WHERE type IN ('table') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`,
    )
    .toArray();
  for (const { name } of names) sql.exec(`DROP TABLE IF EXISTS ${name}`);
}

/** The session schema as the first builds created it: no `origin`, no `request_fingerprint`, the old event indexes. */
function writeOldSessionStorage(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE events (
    sequence INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, run_id TEXT, type TEXT NOT NULL,
    timestamp TEXT NOT NULL, provider TEXT, correlation_id TEXT, schema_version INTEGER NOT NULL,
    data TEXT NOT NULL, metadata TEXT NOT NULL)`);
  sql.exec(`CREATE INDEX events_type ON events(type)`);
  sql.exec(`CREATE INDEX events_run ON events(run_id)`);
  sql.exec(`CREATE TABLE log_meta (id INTEGER PRIMARY KEY CHECK (id = 1), floor INTEGER NOT NULL)`);
  sql.exec(`CREATE TABLE runs (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, status TEXT NOT NULL, queued_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE, revision INTEGER NOT NULL, flushed_revision INTEGER NOT NULL DEFAULT 0)`);
  sql.exec(`INSERT INTO kv (key, value) VALUES ('counter', '7')`);
  for (const seq of [1, 2, 3]) {
    sql.exec(
      `INSERT INTO events (sequence, id, run_id, type, timestamp, provider, correlation_id, schema_version, data, metadata)
      VALUES (?, ?, ?, 'message_sent', '2026-01-01T00:00:00.000Z', NULL, NULL, 1, '{"n":${seq}}', '{}')`,
      seq,
      `evt_${seq}`,
      seq === 2 ? "run_old" : null,
    );
  }
  sql.exec(`INSERT INTO log_meta (id, floor) VALUES (1, 3)`);
  sql.exec(
    `INSERT INTO runs (id, data, status, queued_at, idempotency_key, revision) VALUES ('run_old', '{}', 'completed', '2026-01-01T00:00:00.000Z', 'k1', 2)`,
  );
}

function indexNames(sql: SqlStorage, table: string): string[] {
  return sql
    .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_%'`, table)
    .toArray()
    .map((r) => r.name)
    .sort();
}

describe("versioned Durable Object storage", () => {
  it("a new session object records version 1", async () => {
    const stub = freshSession();
    await runInDurableObject(stub, (_i: SessionDO, state) => {
      expect(storageVersion(state.storage.sql)).toBe(SESSION_MIGRATIONS.length);
    });
  });

  it("adopts session storage written before versioning: the data survives, the columns and indexes of today appear, the version is recorded", async () => {
    await runInDurableObject(freshSession(), (_i: SessionDO, state) => {
      const sql = state.storage.sql;
      wipe(sql);
      writeOldSessionStorage(sql);
      expect(storageVersion(sql)).toBe(0);

      expect(migrateStorage(state.storage, SESSION_MIGRATIONS)).toEqual({ from: 0, to: 1 });
      expect(storageVersion(sql)).toBe(1);
      expect(sql.exec(`SELECT value FROM kv WHERE key = 'counter'`).one().value).toBe("7");
      expect(sql.exec(`SELECT sequence, origin, data FROM events ORDER BY sequence`).toArray()).toEqual([
        { sequence: 1, origin: "client", data: '{"n":1}' },
        { sequence: 2, origin: "client", data: '{"n":2}' },
        { sequence: 3, origin: "client", data: '{"n":3}' },
      ]);
      expect(indexNames(sql, "events")).toEqual(["events_run_seq"]);
      expect(sql.exec(`SELECT id, idempotency_key, request_fingerprint, revision FROM runs`).toArray()).toEqual([
        { id: "run_old", idempotency_key: "k1", request_fingerprint: null, revision: 2 },
      ]);
      expect(sql.exec(`SELECT floor FROM log_meta`).one().floor).toBe(3);

      // The object itself starts on that storage and sees the log where the old build left it.
      const restarted = new SessionDO(state, env);
      expect(restarted).toBeInstanceOf(SessionDO);
      expect(storageVersion(sql)).toBe(1);
      expect(sql.exec(`SELECT COUNT(*) AS n FROM events`).one().n).toBe(3);
    });
  });

  it("adopts routing and tenant ledger storage written before versioning", async () => {
    await runInDurableObject(freshSession(), (_i: SessionDO, state) => {
      const sql = state.storage.sql;
      wipe(sql);
      sql.exec(`CREATE TABLE providers (provider TEXT PRIMARY KEY, record TEXT NOT NULL)`);
      sql.exec(`INSERT INTO providers (provider, record) VALUES ('anthropic', '{"x":1}')`);
      sql.exec(`CREATE TABLE sticky (sticky_id TEXT PRIMARY KEY, provider TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
      expect(migrateStorage(state.storage, ROUTING_MIGRATIONS)).toEqual({ from: 0, to: 1 });
      expect(sql.exec(`SELECT record FROM providers`).one().record).toBe('{"x":1}');
      expect(indexNames(sql, "sticky")).toEqual(["sticky_expiry"]);

      wipe(sql);
      sql.exec(`CREATE TABLE sessions (session_id TEXT PRIMARY KEY, admitted_at INTEGER NOT NULL)`);
      sql.exec(`INSERT INTO sessions (session_id, admitted_at) VALUES ('ses_a', 5)`);
      expect(migrateStorage(state.storage, LEDGER_MIGRATIONS)).toEqual({ from: 0, to: 1 });
      expect(sql.exec(`SELECT admitted_at FROM sessions`).one().admitted_at).toBe(5);
      expect(sql.exec(`SELECT COUNT(*) AS n FROM runs`).one().n).toBe(0);
      expect(storageVersion(sql)).toBe(1);
    });
  });

  it("runs a later migration once, in order, and refuses storage newer than the build", async () => {
    await runInDurableObject(freshSession(), (_i: SessionDO, state) => {
      const sql = state.storage.sql;
      let ran = 0;
      const next: StorageMigration = {
        version: SESSION_MIGRATIONS.length + 1,
        description: "a note column on runs",
        up: (s) => {
          ran += 1;
          s.exec(`ALTER TABLE runs ADD COLUMN note TEXT`);
        },
      };
      const later = [...SESSION_MIGRATIONS, next];
      expect(migrateStorage(state.storage, later)).toEqual({ from: 1, to: 2 });
      expect(migrateStorage(state.storage, later)).toEqual({ from: 2, to: 2 });
      expect(ran).toBe(1);
      expect(storageVersion(sql)).toBe(2);
      expect(
        sql
          .exec<{ name: string }>(`PRAGMA table_info(runs)`)
          .toArray()
          .map((c) => c.name),
      ).toContain("note");
      // The build before this migration must not serve storage it does not understand.
      expect(() => migrateStorage(state.storage, SESSION_MIGRATIONS)).toThrow(/newer than this build/);
      // A migration that fails leaves the version where it was.
      const broken: StorageMigration = {
        version: 3,
        description: "fails",
        up: (s) => {
          s.exec(`ALTER TABLE missing ADD COLUMN x TEXT`);
        },
      };
      expect(() => migrateStorage(state.storage, [...later, broken])).toThrow();
      expect(storageVersion(sql)).toBe(2);
    });
  });

  it("refuses a list with gaps", async () => {
    await runInDurableObject(freshSession(), (_i: SessionDO, state) => {
      expect(() => migrateStorage(state.storage, [{ version: 2, description: "gap", up: () => {} }])).toThrow(/without gaps/);
    });
  });
});

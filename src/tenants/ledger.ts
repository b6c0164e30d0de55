import type { StorageMigration } from "../session/storage-migrations";

/**
 * The tenant's counts in the TenantDO's SQLite: its active sessions, and its runs, each either `queued` or `running`
 * and each a lease that expires unless the session renews it (a session that crashed or was evicted for good gives
 * its slots back by itself). Synchronous: every method is atomic inside the one Durable Object.
 */
export type RunState = "queued" | "running";

/** The TenantDO's storage schema; version 1 is what the pre-versioning builds created. */
export const LEDGER_MIGRATIONS: readonly StorageMigration[] = [
  {
    version: 1,
    description: "sessions, runs (session index), waiting",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS sessions (session_id TEXT PRIMARY KEY, admitted_at INTEGER NOT NULL)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, state TEXT NOT NULL, since INTEGER NOT NULL, expires_at INTEGER NOT NULL
      )`);
      sql.exec(`CREATE INDEX IF NOT EXISTS runs_session ON runs (session_id)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS waiting (session_id TEXT PRIMARY KEY, since INTEGER NOT NULL)`);
    },
  },
];

/** Reads and writes the tables LEDGER_MIGRATIONS creates. */
export class Ledger {
  constructor(private readonly sql: SqlStorage) {}

  // ── sessions ──

  activeSessions(): number {
    return this.count(`SELECT COUNT(*) AS n FROM sessions`);
  }

  hasSession(sessionId: string): boolean {
    return this.sql.exec(`SELECT 1 FROM sessions WHERE session_id = ?`, sessionId).toArray().length > 0;
  }

  addSession(sessionId: string, now: number): void {
    this.sql.exec(`INSERT OR IGNORE INTO sessions (session_id, admitted_at) VALUES (?, ?)`, sessionId, now);
  }

  /** Sessions admitted before `before`: the ones old enough to be checked against D1. */
  sessionsAdmittedBefore(before: number): string[] {
    return this.sql
      .exec<{ session_id: string }>(`SELECT session_id FROM sessions WHERE admitted_at < ?`, before)
      .toArray()
      .map((r) => r.session_id);
  }

  /** Drops the session and its runs; returns how many running slots that freed. */
  removeSession(sessionId: string): number {
    const freed = this.count(`SELECT COUNT(*) AS n FROM runs WHERE session_id = ? AND state = 'running'`, sessionId);
    this.sql.exec(`DELETE FROM sessions WHERE session_id = ?`, sessionId);
    this.sql.exec(`DELETE FROM runs WHERE session_id = ?`, sessionId);
    this.sql.exec(`DELETE FROM waiting WHERE session_id = ?`, sessionId);
    return freed;
  }

  // ── runs ──

  /** Drops leases that ran out; returns how many running slots that freed. */
  expire(now: number): number {
    const freed = this.count(`SELECT COUNT(*) AS n FROM runs WHERE expires_at <= ? AND state = 'running'`, now);
    this.sql.exec(`DELETE FROM runs WHERE expires_at <= ?`, now);
    return freed;
  }

  runs(state: RunState): number {
    return this.count(`SELECT COUNT(*) AS n FROM runs WHERE state = ?`, state);
  }

  stateOf(runId: string): RunState | null {
    const row = this.sql.exec<{ state: string }>(`SELECT state FROM runs WHERE run_id = ?`, runId).toArray()[0];
    return row ? (row.state as RunState) : null;
  }

  /** Takes a place or slot (or renews it). `since` is kept from the first time: it says how new the row is. */
  putRun(runId: string, sessionId: string, state: RunState, now: number, expiresAt: number): void {
    this.sql.exec(
      `INSERT INTO runs (run_id, session_id, state, since, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(run_id) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`,
      runId,
      sessionId,
      state,
      now,
      expiresAt,
    );
  }

  /** Returns true when the run held a running slot. */
  removeRun(runId: string): boolean {
    const was = this.stateOf(runId);
    this.sql.exec(`DELETE FROM runs WHERE run_id = ?`, runId);
    return was === "running";
  }

  /**
   * The session's own account of its runs: renews every lease it lists and drops what it no longer has (a release
   * that never arrived). Rows newer than `graceMs` are left alone, and a listed `queued` never demotes a `running`
   * row, in case this account was composed before the latest admit or start. Returns how many running slots freed.
   */
  reconcileSessionRuns(sessionId: string, queued: string[], running: string[], now: number, expiresAt: number, graceMs: number): number {
    const listed = new Set([...queued, ...running]);
    const stale = this.sql
      .exec<{ run_id: string; state: string }>(
        `SELECT run_id, state FROM runs WHERE session_id = ? AND since < ?`,
        sessionId,
        now - graceMs,
      )
      .toArray()
      .filter((r) => !listed.has(r.run_id));
    for (const row of stale) this.sql.exec(`DELETE FROM runs WHERE run_id = ?`, row.run_id);
    for (const id of running) this.putRun(id, sessionId, "running", now, expiresAt);
    for (const id of queued) {
      this.sql.exec(
        `INSERT INTO runs (run_id, session_id, state, since, expires_at) VALUES (?, ?, 'queued', ?, ?)
         ON CONFLICT(run_id) DO UPDATE SET expires_at = excluded.expires_at`,
        id,
        sessionId,
        now,
        expiresAt,
      );
    }
    return stale.filter((r) => r.state === "running").length;
  }

  // ── sessions waiting for a run slot ──

  addWaiting(sessionId: string, now: number): void {
    this.sql.exec(`INSERT OR IGNORE INTO waiting (session_id, since) VALUES (?, ?)`, sessionId, now);
  }

  /** Takes the `limit` longest-waiting sessions off the list (they are about to be woken). */
  takeWaiting(limit: number): string[] {
    const rows = this.sql.exec<{ session_id: string }>(`SELECT session_id FROM waiting ORDER BY since LIMIT ?`, limit).toArray();
    for (const row of rows) this.sql.exec(`DELETE FROM waiting WHERE session_id = ?`, row.session_id);
    return rows.map((r) => r.session_id);
  }

  private count(query: string, ...args: (string | number)[]): number {
    return Number(this.sql.exec<{ n: number }>(query, ...args).one().n);
  }
}

/**
 * Versioned Durable Object storage. Each DO class lists its schema as ordered migrations; the object records the
 * version it reached in `storage_meta` and, when it starts, applies the ones above it. Version 1 of every list is
 * the schema the pre-versioning builds created with `CREATE TABLE IF NOT EXISTS`: idempotent, so it adopts storage
 * they wrote (with or without the columns added since) as well as empty storage. A later change is a new entry at
 * the end, never an edit of a released one.
 */
export type StorageMigration = { version: number; description: string; up: (sql: SqlStorage) => void };

export type MigrationOutcome = { from: number; to: number };

export function storageVersion(sql: SqlStorage): number {
  sql.exec(`CREATE TABLE IF NOT EXISTS storage_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
  const row = sql.exec<{ value: number }>(`SELECT value FROM storage_meta WHERE key = 'schema_version'`).toArray()[0];
  return row ? Number(row.value) : 0;
}

/**
 * Applies the pending migrations, each with its version row in one transaction (a failure leaves the object at the
 * last version that completed and is thrown, so the object does not serve on a schema it does not know). Storage
 * at a version newer than the list (a rollback) is refused for the same reason.
 */
export function migrateStorage(
  storage: Pick<DurableObjectStorage, "sql" | "transactionSync">,
  migrations: readonly StorageMigration[],
): MigrationOutcome {
  assertOrdered(migrations);
  const from = storageVersion(storage.sql);
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) throw new Error(`storage is at schema version ${from}, newer than this build knows (${latest})`);
  for (const m of migrations) {
    if (m.version <= from) continue;
    storage.transactionSync(() => {
      m.up(storage.sql);
      storage.sql.exec(
        `INSERT INTO storage_meta (key, value) VALUES ('schema_version', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        m.version,
      );
    });
  }
  return { from, to: Math.max(from, latest) };
}

function assertOrdered(migrations: readonly StorageMigration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`storage migration ${i} has version ${m.version}; versions run 1, 2, 3 … without gaps`);
  });
}

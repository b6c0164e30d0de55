/** A tiny typed key/value table in the DO's SQLite, for the session record and bookkeeping counters. */
export class KeyValue {
  /** The `kv` table is created by the storage migrations (storage-schema.ts). */
  constructor(private readonly sql: SqlStorage) {}

  get<T>(key: string): T | null {
    const rows = this.sql.exec<{ value: string }>(`SELECT value FROM kv WHERE key = ?`, key).toArray();
    return rows[0] ? (JSON.parse(rows[0].value) as T) : null;
  }

  put(key: string, value: unknown): void {
    this.sql.exec(
      `INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      key,
      JSON.stringify(value),
    );
  }

  delete(key: string): void {
    this.sql.exec(`DELETE FROM kv WHERE key = ?`, key);
  }
}

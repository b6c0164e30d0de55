/**
 * Adds a column to a table of the DO's SQLite storage when an object created by an older build lacks it.
 * `CREATE TABLE IF NOT EXISTS` leaves an existing table as it was, so new columns arrive this way.
 */
export function ensureColumn(sql: SqlStorage, table: string, column: string, definition: string): void {
  const columns = sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray();
  if (!columns.some((c) => c.name === column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

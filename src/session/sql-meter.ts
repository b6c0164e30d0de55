/**
 * Counts the rows the DO's SQLite storage reports written (`SqlStorageCursor.rowsWritten`, what Cloudflare
 * bills), for the storage-cost figures in `stats()` and the benchmark. Every statement of the object goes
 * through the wrapped handle; the count lives in memory and starts at zero with each instance.
 */
export class SqlMeter {
  rowsWritten = 0;

  wrap(sql: SqlStorage): SqlStorage {
    const meter = this;
    return new Proxy(sql, {
      get(target, prop) {
        if (prop === "exec") {
          return (query: string, ...bindings: unknown[]) => {
            const cursor = target.exec(query, ...bindings);
            // Statements that return no rows have run to completion here, so their count is final.
            meter.rowsWritten += cursor.rowsWritten;
            return cursor;
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
}

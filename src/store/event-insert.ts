import { getTableColumns, getTableName } from "drizzle-orm";
import type { Event } from "../core/event";
import { eventToRow } from "./codec";
import { events } from "./schema";

/**
 * Flushed events go to D1 as one JSON parameter per `INSERT … SELECT … FROM json_each(?)`, not as bound columns.
 * D1 allows 100 bound parameters per statement (7 event rows), and building and running one statement per 7 rows
 * cost more than the rows themselves: 200 events were 29 statements, ~10 ms to build in the DO and ~20 ms in the
 * local D1. One payload holds at most this many UTF-16 units of JSON (≤ 1.5 MB of UTF-8, under D1's 2 MB value
 * limit); a single larger row goes alone.
 */
const MAX_PAYLOAD_CHARS = 512 * 1024;

/** The events table's columns in a fixed order: a payload row is an array in this order. */
const COLUMNS = Object.entries(getTableColumns(events));

/** One statement inserting every row of its one parameter, a payload (idempotent on the primary key, as a flush must be). */
export const INSERT_EVENTS_FROM_JSON = (() => {
  const names = COLUMNS.map(([, c]) => `"${c.name}"`).join(", ");
  const values = COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ");
  // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT, not to a join of the SELECT.
  return `INSERT INTO "${getTableName(events)}" (${names}) SELECT ${values} FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`;
})();

/** The flushed events as JSON arrays of column values (each in the form drizzle would have bound it), chunked. */
export function eventInsertPayloads(batch: Event[], tenantId: string): string[] {
  const payloads: string[] = [];
  let rows: string[] = [];
  let chars = 0;
  for (const event of batch) {
    const row = eventToRow(event, tenantId) as Record<string, unknown>;
    const json = JSON.stringify(COLUMNS.map(([key, c]) => (row[key] == null ? null : c.mapToDriverValue(row[key]))));
    if (rows.length > 0 && chars + json.length > MAX_PAYLOAD_CHARS) {
      payloads.push(`[${rows.join(",")}]`);
      rows = [];
      chars = 0;
    }
    rows.push(json);
    chars += json.length + 1;
  }
  if (rows.length > 0) payloads.push(`[${rows.join(",")}]`);
  return payloads;
}

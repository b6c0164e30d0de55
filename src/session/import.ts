import { EventOriginSchema, type Event } from "../core/event";
import type { Redactor } from "../core/redact";
import type { Run } from "../core/run";
import { markRolledBack } from "./controls";
import { KeyValue } from "./kv";
import { insertEventRow, type EventLog } from "./log";
import type { RunRecords } from "./run-records";

/**
 * How an exported event is stored by the deployment that imports it. This deployment did not write it and cannot
 * check who did, so it vouches for nothing: the event is stored with `origin: "client"` (an export cannot smuggle
 * in events that read as the service's), and the origin the export claimed is kept as `metadata.imported_origin`.
 * Data and metadata go through the redactor as an append's would; the export's own `_redactions` count is
 * replaced by this one.
 */
export function asImportedEvent(event: Event, redactor: Redactor): Event {
  const { _redactions: _claimed, imported_origin: earlier, ...metadata } = event.metadata;
  const { value, count } = redactor.value({ data: event.data, metadata });
  // A re-imported export keeps the first origin it claimed; only a known origin name is kept.
  const claimed = EventOriginSchema.safeParse(earlier).success ? earlier : event.origin;
  return {
    ...event,
    origin: "client",
    data: value.data,
    metadata: { ...value.metadata, imported_origin: claimed, ...(count > 0 ? { _redactions: count } : {}) },
  };
}

/**
 * Writes an imported session's runs and events into a fresh object's storage, in one transaction, keeping every
 * event's sequence (gaps left by retention stay gaps). The log's own append path is not used: it numbers events
 * itself. Afterwards the log re-reads its counter, and the numbering floor is the export's latest sequence, so the
 * next event appended continues where the exported session stopped.
 */
export function writeImported(
  sql: SqlStorage,
  storage: DurableObjectStorage,
  log: EventLog,
  records: RunRecords,
  runs: readonly Run[],
  events: readonly Event[],
  latestSequence: number,
): void {
  storage.transactionSync(() => {
    for (const run of runs) records.put(run);
    for (const e of events) insertEventRow(sql, e, e.sequence);
    sql.exec(
      `INSERT INTO log_meta (id, floor) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET floor = MAX(floor, excluded.floor)`,
      latestSequence,
    );
    markRolledBack(new KeyValue(sql), runs);
  });
  log.resync();
}

import { z } from "zod";
import { AppError } from "./errors";
import { EventSchema, type Event } from "./event";
import { RunSchema, type Run } from "./run";
import { SessionSchema, type Session } from "./session";

/**
 * The session export format (GET /v1/sessions/:id/export, POST /v1/sessions/import): NDJSON, one object per line,
 * each with a `kind`, in this order: one `header`, one `session`, every `run` (submission order), every `event`
 * (sequence order), one `end` carrying the counts, so a cut-off export is refused on import rather than half restored.
 */
export const EXPORT_FORMAT = "asm-session-export";
export const EXPORT_VERSION = 1;

const HeaderLine = z.object({
  kind: z.literal("header"),
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exported_at: z.string(),
  session_id: z.string(),
  latest_sequence: z.number().int().min(0),
});
const SessionLine = z.object({ kind: z.literal("session"), session: SessionSchema });
const RunLine = z.object({ kind: z.literal("run"), run: RunSchema });
const EventLine = z.object({ kind: z.literal("event"), event: EventSchema });
const EndLine = z.object({ kind: z.literal("end"), run_count: z.number().int().min(0), event_count: z.number().int().min(0) });

export const ExportLineSchema = z
  .discriminatedUnion("kind", [HeaderLine, SessionLine, RunLine, EventLine, EndLine])
  .meta({ id: "SessionExportLine" });
export type ExportLine = z.infer<typeof ExportLineSchema>;
export type ExportHeader = z.infer<typeof HeaderLine>;

export type SessionExport = { header: ExportHeader; session: Session; runs: Run[]; events: Event[] };

export const ImportResultSchema = z
  .object({
    session: SessionSchema,
    imported_from: z.string().describe("The exported session's id"),
    run_ids: z.record(z.string(), z.string()).describe("Exported run id → the new run id"),
    run_count: z.number().int(),
    event_count: z.number().int(),
    latest_sequence: z.number().int(),
  })
  .meta({ id: "SessionImportResult" });
export type ImportResult = z.infer<typeof ImportResultSchema>;

const bad = (line: number, message: string, extra: Record<string, unknown> = {}) =>
  new AppError("validation_error", `import line ${line}: ${message}`, { line, ...extra });

/**
 * Parses and checks an export (lines already split, or objects): order, counts, increasing sequences, unique ids.
 * `lineNumbers[i]` is where lines[i] stood in the NDJSON text (blank lines are skipped), so errors name that line.
 */
export function parseExport(lines: readonly unknown[], lineNumbers?: readonly number[]): SessionExport {
  const lineOf = (i: number) => lineNumbers?.[i] ?? i + 1;
  let header: ExportHeader | null = null;
  let session: Session | null = null;
  let end: z.infer<typeof EndLine> | null = null;
  const runs: Run[] = [];
  const events: Event[] = [];
  const eventIds = new Set<string>();
  const order = ["header", "session", "run", "event", "end"];
  let stage = -1;
  lines.forEach((raw, i) => {
    const n = lineOf(i);
    const parsed = ExportLineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw bad(n, `${issue?.path.join(".") || "line"}: ${issue?.message ?? "invalid"}`);
    }
    const line = parsed.data;
    if (end) throw bad(n, "nothing may follow the end line");
    const at = order.indexOf(line.kind);
    const repeatable = line.kind === "run" || line.kind === "event";
    // header, then session, then runs (any), then events (any), then end.
    const allowed = at === stage ? repeatable : at > stage && (at <= 2 ? at === stage + 1 : stage >= 1);
    if (!allowed) throw bad(n, `a ${line.kind} line is out of order (header, session, runs, events, end)`);
    stage = at;
    switch (line.kind) {
      case "header":
        header = line;
        break;
      case "session":
        session = line.session;
        break;
      case "run":
        if (runs.some((r) => r.id === line.run.id)) throw bad(n, `run ${line.run.id} appears twice`);
        runs.push(line.run);
        break;
      case "event": {
        const prev = events[events.length - 1];
        if (prev && line.event.sequence <= prev.sequence)
          throw bad(n, `event sequences must increase (${line.event.sequence} after ${prev.sequence})`);
        // Checked here, not left to the store's unique index, so a bad export is refused before anything is written.
        if (eventIds.has(line.event.id)) throw bad(n, `event id ${line.event.id} appears twice`);
        eventIds.add(line.event.id);
        events.push(line.event);
        break;
      }
      case "end":
        end = line;
        break;
    }
  });
  if (!header || !session) throw new AppError("validation_error", "import: the export has no header or no session line", { line: null });
  if (!end) throw new AppError("validation_error", "import: the export has no end line (cut off?)", { line: null });
  const e = end as z.infer<typeof EndLine>;
  const endLine = lineOf(lines.length - 1);
  if (e.run_count !== runs.length || e.event_count !== events.length) {
    throw bad(
      endLine,
      `the end line counts ${e.run_count} runs and ${e.event_count} events, the export holds ${runs.length} and ${events.length}`,
    );
  }
  const h = header as ExportHeader;
  const last = events[events.length - 1];
  if (last && last.sequence > h.latest_sequence)
    throw new AppError("validation_error", "import: an event's sequence exceeds the header's latest_sequence", { line: null });
  return { header: h, session, runs, events };
}

/** One parsed NDJSON line and its 1-based line number in the text. */
export type NdjsonLine = { value: unknown; line: number };

/** Splits an NDJSON body into parsed lines (blank lines skipped); a line that is not JSON is 400 invalid_format. */
export function splitNdjson(text: string): NdjsonLine[] {
  const out: NdjsonLine[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      out.push({ value: JSON.parse(raw), line: i + 1 });
    } catch {
      throw new AppError("invalid_format", `import line ${i + 1} is not JSON`, { line: i + 1 });
    }
  });
  return out;
}

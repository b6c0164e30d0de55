import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../core/errors";
import type { Event } from "../core/event";
import { newId } from "../core/ids";
import { isTerminalRunStatus, type Run } from "../core/run";
import type { Session } from "../core/session";
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  ExportLineSchema,
  ImportResultSchema,
  parseExport,
  splitNdjson,
  type ExportLine,
  type ImportResult,
} from "../core/session-export";
import { BODY_ERRORS, errorResponses, HEADERS, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub, sessionStubFor } from "./session-stub";

/** Moving a session between deployments: export as NDJSON, import as a new session (core/session-export.ts). */
export const sessionExportApi = router();

const PAGE = 500;

sessionExportApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/export",
    tags: ["sessions"],
    operationId: "exportSession",
    summary: "The session, its runs and its events as NDJSON (one object per line with a `kind`), streamed",
    description:
      "Lines: one `header` {format, version, exported_at, session_id, latest_sequence}, one `session`, each `run` " +
      "(submission order), each `event` (sequence order, up to the header's latest_sequence), one `end` {run_count, event_count}. " +
      "A soft-deleted session can be exported. Artifacts are not included. POST /v1/sessions/import restores it.",
    request: { params: SessionIdParams, query: z.object({}).strict() },
    responses: {
      200: {
        description: "NDJSON: one SessionExportLine per line (the schema is that of one line)",
        content: { "application/x-ndjson": { schema: ExportLineSchema } },
      },
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const stub = sessionStub(c, id);
    // The session is read first so a missing one is a 404 (not a broken stream), and fixes the end of the events.
    const session = await call(stub.getSession(true));
    const latest = session.last_sequence;
    const encoder = new TextEncoder();
    // Written from a task the request keeps alive (waitUntil), not from a pull callback: workerd cancels a response
    // whose stream's pull awaits a Durable Object call after the handler has returned, as code that hung.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const write = (l: ExportLine) => writer.write(encoder.encode(`${JSON.stringify(l)}\n`));
    const produce = async () => {
      await write({
        kind: "header",
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        exported_at: new Date().toISOString(),
        session_id: id,
        latest_sequence: latest,
      });
      await write({ kind: "session", session });
      let runCount = 0;
      for (let cursor: number | null = 0; cursor !== null; ) {
        const page: { items: Run[]; next: number | null } = await call(stub.listRuns(PAGE, cursor));
        for (const run of page.items) await write({ kind: "run", run });
        runCount += page.items.length;
        cursor = page.next;
      }
      let eventCount = 0;
      for (let after = 0; ; ) {
        const page = await call(stub.readEvents({ after, before: latest + 1, limit: PAGE }));
        for (const event of page.events) await write({ kind: "event", event });
        eventCount += page.events.length;
        const last = page.events[page.events.length - 1];
        if (!last || page.next_after === null) break;
        after = last.sequence;
      }
      await write({ kind: "end", run_count: runCount, event_count: eventCount });
      await writer.close();
    };
    // On a failure no end line is written and the stream errors: an importer refuses the cut-off export.
    c.executionCtx.waitUntil(produce().catch((err: unknown) => writer.abort(err).catch(() => undefined)));
    // The typed router reads "…json" media types as c.json answers; this one is a stream.
    return new Response(readable, {
      status: 200,
      headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" },
    }) as never;
  },
);

/** The import route's path under the app root: the one POST that also takes an NDJSON body (app.ts). */
export const IMPORT_PATH = "/v1/sessions/import";

const LINE_REF = { $ref: "#/components/schemas/SessionExportLine" };

sessionExportApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/import",
    tags: ["sessions"],
    operationId: "importSession",
    summary: "Restore an export as a new session of the caller's tenant (new session id, same event sequences, runs re-id'd)",
    description:
      "The body is the export itself (`application/x-ndjson`, exactly as GET …/export streamed it) or its " +
      "lines as a JSON array (`application/json`). It is checked whole before anything is stored: a bad line is " +
      "400 with `details.line` (1-based, counted in the NDJSON text or the array), and nothing is imported. " +
      "The new session gets a new id, keeps agent, status, metadata (plus `imported_from`), context, tags, limits and " +
      "timestamps; every run gets a new id (the answer maps old to new) and events keep their ids, sequences and " +
      "timestamps, their run_id rewritten. Imported events are stored with origin client (the claimed origin is kept " +
      "as metadata.imported_origin) and redacted as appends are. Runs that were still queued, running or awaiting approval are imported as " +
      "cancelled (nothing runs them). Limited by MAX_BODY_BYTES.",
    request: {
      body: {
        required: true,
        // Plain schemas, not zod: the handler parses both forms itself so that errors name the line.
        content: {
          "application/x-ndjson": { schema: { ...LINE_REF, description: "One SessionExportLine per line" } },
          "application/json": { schema: { type: "array", items: LINE_REF, description: "The export's lines, in order" } },
        },
      },
    },
    responses: {
      201: jsonResponse(ImportResultSchema, "The new session", HEADERS.location),
      ...errorResponses(...BODY_ERRORS),
    },
  }),
  async (c) => {
    const type = c.req.header("content-type") ?? "";
    const text = await c.req.text();
    let lines: unknown[];
    let lineNumbers: number[] | undefined;
    if (/ndjson/i.test(type)) {
      const split = splitNdjson(text);
      lines = split.map((l) => l.value);
      lineNumbers = split.map((l) => l.line);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new AppError("invalid_format", "The body is not JSON");
      }
      if (!Array.isArray(parsed))
        throw new AppError("validation_error", "The body must be the export's lines: an array of objects, or NDJSON");
      lines = parsed;
    }
    const exp = parseExport(lines, lineNumbers);
    const tenantId = c.get("tenantId");
    const now = new Date().toISOString();
    const sessionId = newId("ses");
    const runIds: Record<string, string> = {};
    for (const run of exp.runs) runIds[run.id] = newId("run");
    const runs: Run[] = exp.runs.map((run) => ({
      ...run,
      id: runIds[run.id]!,
      session_id: sessionId,
      idempotency_key: null,
      ...(isTerminalRunStatus(run.status)
        ? {}
        : {
            status: "cancelled" as const,
            ended_at: run.ended_at ?? now,
            error: { code: "cancelled", message: "The run had not ended when its session was exported; imported as cancelled" },
          }),
    }));
    const events: Event[] = exp.events.map((e) => ({
      ...e,
      session_id: sessionId,
      run_id: e.run_id === null ? null : (runIds[e.run_id] ?? e.run_id),
    }));
    const session: Session = {
      ...exp.session,
      id: sessionId,
      tenant_id: tenantId,
      parent_session_id: null,
      deleted_at: null,
      updated_at: now,
      metadata: {
        ...exp.session.metadata,
        imported_from: { session_id: exp.session.id, exported_at: exp.header.exported_at, imported_at: now },
      },
      last_sequence: exp.header.latest_sequence,
    };
    const stub = sessionStubFor(c.env, tenantId, sessionId);
    const created = await call(stub.importSession(session, runs, events, exp.header.latest_sequence));
    c.header("location", `/v1/sessions/${created.id}`);
    const result: ImportResult = {
      session: created,
      imported_from: exp.session.id,
      run_ids: runIds,
      run_count: runs.length,
      event_count: events.length,
      latest_sequence: created.last_sequence,
    };
    return c.json(result, 201);
  },
);

import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { AppError } from "../core/errors";
import { AppendEventsBodySchema, EventQuerySchema } from "../core/event";
import { TypedEventListSchema, TypedEventPageSchema } from "../core/event-data";
import { isEventType } from "../core/event-types";
import { BODY_ERRORS, errorResponses, jsonBody, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";
import { reframeSse } from "./sse-format";
import type { AppEnv } from "./types";

export const eventsApi = router();

/** `type=a,b` → validated canonical types. */
export function parseTypes(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  const types = raw
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const bad = types.filter((t) => !isEventType(t));
  if (bad.length) throw new AppError("invalid_event_type", `Unknown event type '${bad[0]}'`, { types: bad });
  return types;
}

eventsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/events",
    tags: ["events"],
    operationId: "appendEvents",
    summary: "Append events (bring-your-own-agent); sequences are assigned by the session",
    description:
      'Stored with `origin: "client"`. Any canonical type may be appended without a run_id or for a run of the ' +
      "caller's own, except session lifecycle types (change status with PATCH). Events for a run the service owns " +
      "(id run_ + 32 hex) are refused with 409 event_impersonation; the batch is all or nothing.",
    request: { params: SessionIdParams, ...jsonBody(AppendEventsBodySchema) },
    responses: {
      201: jsonResponse(TypedEventListSchema, "The stored events, in input order"),
      ...errorResponses(...BODY_ERRORS, 404, 409),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const events = await call(sessionStub(c, id).appendEvents(c.req.valid("json").events));
    return c.json({ events }, 201);
  },
);

/** Either a bearer key (header) or a stream token (`?token=`, SSE and WebSocket only). */
const STREAM_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { streamToken: [] }];
const TokenParam = z.string().max(4096).optional().describe("A stream token (POST /v1/sessions/{id}/stream-token), for browsers");
/** How long an EventSource waits before reconnecting (the `retry:` line of every stream). */
const SSE_RETRY_MS = 3_000;

const ReadQuery = EventQuerySchema.extend({
  last_event_id: z.coerce.number().int().min(0).optional(),
  format: z
    .enum(["typed", "message"])
    .optional()
    .describe(
      "SSE only. typed (default): `event:` is the event type. message: every frame is a plain `message` (type inside the data), for EventSource.onmessage",
    ),
  token: TokenParam,
}).strict();

eventsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/events",
    tags: ["events"],
    operationId: "readEvents",
    summary: "Read events by cursor; wait_ms long-polls; Accept: text/event-stream streams SSE (honours Last-Event-ID)",
    description:
      "With `Accept: text/event-stream` the response is a Server-Sent Events stream: a `retry:` hint, then one " +
      "frame per event (`id:` = sequence, `data:` = the Event as JSON), and comment heartbeats. Resume with Last-Event-ID " +
      "(EventSource does it by itself). Browsers authenticate with `?token=` (a stream token) instead of a header.",
    security: STREAM_SECURITY,
    request: { params: SessionIdParams, query: ReadQuery },
    responses: {
      200: {
        description: "A page of events, or an SSE stream",
        content: {
          "application/json": { schema: TypedEventPageSchema },
          "text/event-stream": { schema: z.string().describe("Server-Sent Events: `id:` is the sequence, `data:` one Event as JSON") },
        },
      },
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const types = parseTypes(q.type);
    const stub = sessionStub(c, id);
    if (c.req.header("accept")?.includes("text/event-stream")) {
      const lastEventId = c.req.header("last-event-id");
      const resumeAfter = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : (q.last_event_id ?? q.after ?? 0);
      const stream = await forwardStream(c, stub, "sse", resumeAfter + 1, q.run_id, types);
      if (!stream.ok || !stream.body) return stream;
      return new Response(reframeSse(stream.body, { format: q.format ?? "typed", retryMs: SSE_RETRY_MS }), stream);
    }
    const page = await call(
      stub.readEvents({
        after: q.after,
        before: q.before,
        limit: q.limit,
        run_id: q.run_id,
        types,
        wait_ms: q.wait_ms,
        since: q.since,
        until: q.until,
      }),
    );
    return c.json(page, 200);
  },
);

const WsQuery = z.object({
  from_sequence: z.coerce.number().int().min(0).optional(),
  run_id: z.string().min(1).max(128).optional(),
  types: z.string().max(1024).optional(),
  token: TokenParam,
});

eventsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/ws",
    tags: ["events"],
    operationId: "followEventsWebSocket",
    summary: "WebSocket: replays from from_sequence (inclusive), then follows live; one event per message",
    description:
      'Send "ping" for "pong", and {"type":"ack","sequence":N} for flow control: the server sends at most ' +
      "SUBSCRIBER_MAX_QUEUED sequences past the last ack, and closes a socket that stays full for SUBSCRIBER_STALL_MS " +
      "with code 4008 (slow consumer); reconnect from last_seen + 1.",
    security: STREAM_SECURITY,
    request: { params: SessionIdParams, query: WsQuery },
    responses: { 101: { description: "Switching protocols" }, ...errorResponses(404, 426) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError("upgrade_required", "This endpoint needs a WebSocket upgrade (Upgrade: websocket)");
    }
    const types = parseTypes(q.types);
    return forwardStream(c, sessionStub(c, id), "ws", Math.max(1, q.from_sequence ?? 1), q.run_id, types);
  },
);

/** Hands a streaming request to the session's DO (which holds the subscriber) with validated parameters. */
async function forwardStream(
  c: Context<AppEnv>,
  stub: ReturnType<typeof sessionStub>,
  kind: "ws" | "sse",
  from: number,
  runId: string | undefined,
  types: string[] | undefined,
): Promise<Response> {
  const url = new URL(`https://session/${kind}`);
  url.searchParams.set("from", String(from));
  if (runId) url.searchParams.set("run_id", runId);
  if (types) url.searchParams.set("types", types.join(","));
  return stub.fetch(new Request(url, { headers: c.req.raw.headers }));
}

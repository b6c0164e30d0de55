import type { EventInput, EventQuery } from "../src/core/event";
import type { CostSummary, QueryCost, QueryRuns } from "../src/core/query";
import type { Run } from "../src/core/run";
import type { ApprovalDecisionBody, SubmitRunRequest } from "../src/core/run-submit";
import type { CreateSessionBody, ListSessionsQuery, Session, UpdateSessionBody } from "../src/core/session";
import { followEvents, type FollowOptions } from "./event-stream";
import {
  CancelAllResponseSchema,
  DrainResponseSchema,
  PendingApprovalSchema,
  SessionRuntimeStatusSchema,
  type DrainResponse,
  type PendingApproval,
  type SessionRuntimeStatus,
} from "../src/core/run-controls";
import { z } from "zod";
import { HttpTransport, type FetchLike } from "./http";
import {
  CostSummarySchema,
  DeletedSchema,
  DiffResponseSchema,
  EventListSchema,
  EventPageSchema,
  ProvidersResponseSchema,
  RunPageSchema,
  RunSchema,
  SessionPageSchema,
  SessionSchema,
  TranscriptResponseSchema,
  type Deleted,
  type Page,
  type RunDiff,
  type Transcript,
} from "./types";
import type { Event, EventPage } from "../src/core/event";
import { StreamTokenSchema, type StreamToken } from "../src/core/stream-token";
import { resolveWebSocket, type WebSocketConstructor } from "./websocket";
import { EventCountSchema, SessionStatsSchema, type EventCount, type SessionStats } from "../src/core/session-stats";
import { ImportResultSchema, type ImportResult } from "../src/core/session-export";
import { ForkResultSchema, type ForkResult } from "../src/core/session-fork";
import { ScheduleListSchema, ScheduleSchema, type Schedule } from "../src/core/schedule-record";
import type { CreateScheduleBodySchema } from "../src/core/schedule";
import { EventSchema } from "../src/core/event";
import { RUN_TERMINAL_EVENT_TYPES } from "../src/core/event-types";
import { AsmError } from "./errors";
import { parseSse } from "./sse";

/** Query parameters as a caller writes them, derived from the server's parsed query types. */
type QueryOf<T> = {
  [K in keyof T]?: T[K] extends boolean | undefined ? boolean : T[K] extends readonly string[] | undefined ? string | string[] : T[K];
};

export type ListSessionsParams = QueryOf<ListSessionsQuery>;
export type ReadEventsParams = Omit<QueryOf<EventQuery>, "type"> & { type?: string | string[] };
export type QueryRunsParams = QueryOf<QueryRuns>;
export type QueryCostParams = QueryOf<QueryCost>;
/** The schedule body as a caller writes it (defaults not yet applied). */
export type CreateScheduleRequest = z.input<typeof CreateScheduleBodySchema>;

export type AsmClientOptions = {
  /** Service origin, with or without the `/v1` prefix. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Defaults to the global fetch. */
  fetch?: FetchLike | undefined;
  /** Defaults to the global WebSocket, else the `ws` package (Node 20). */
  WebSocket?: WebSocketConstructor | undefined;
  /**
   * How the WebSocket upgrade is authenticated: an `authorization` header (only the `ws` package can send one) or
   * `?token=`, a short-lived stream token minted per connection (browsers and Workers; keys never go into URLs).
   * Defaults to the header for the `ws` package, the token otherwise.
   */
  wsAuth?: "header" | "query" | undefined;
};

export type SubmitRunOptions = { idempotencyKey?: string | undefined; signal?: AbortSignal | undefined };

/** The typed client for the ASM HTTP API. Only fetch, WebSocket and URL: runs in Node 20 and Workers. */
export class AsmClient {
  readonly http: HttpTransport;
  private readonly wsOption: WebSocketConstructor | undefined;
  private readonly wsAuth: "header" | "query" | undefined;
  private readonly apiKey: string | undefined;

  constructor(opts: AsmClientOptions) {
    const fetchImpl = opts.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
    this.http = new HttpTransport(opts.baseUrl, opts.apiKey, fetchImpl);
    this.wsOption = opts.WebSocket;
    this.wsAuth = opts.wsAuth;
    this.apiKey = opts.apiKey;
  }

  // Sessions

  createSession(body: CreateSessionBody, signal?: AbortSignal): Promise<Session> {
    return this.http.request("POST", "/sessions", SessionSchema, { body, signal });
  }

  listSessions(params: ListSessionsParams = {}, signal?: AbortSignal): Promise<Page<Session>> {
    return this.http.request("GET", "/sessions", SessionPageSchema, { query: params, signal });
  }

  getSession(id: string, opts: { includeDeleted?: boolean; signal?: AbortSignal } = {}): Promise<Session> {
    return this.http.request("GET", `/sessions/${enc(id)}`, SessionSchema, {
      query: { include_deleted: opts.includeDeleted },
      signal: opts.signal,
    });
  }

  updateSession(id: string, body: UpdateSessionBody, signal?: AbortSignal): Promise<Session> {
    return this.http.request("PATCH", `/sessions/${enc(id)}`, SessionSchema, { body, signal });
  }

  deleteSession(id: string, opts: { hard?: boolean; signal?: AbortSignal } = {}): Promise<Deleted> {
    return this.http.request("DELETE", `/sessions/${enc(id)}`, DeletedSchema, { query: { hard: opts.hard }, signal: opts.signal });
  }

  // Events

  appendEvents(sessionId: string, events: EventInput[], signal?: AbortSignal): Promise<Event[]> {
    return this.http
      .request("POST", `/sessions/${enc(sessionId)}/events`, EventListSchema, { body: { events }, signal })
      .then((r) => r.events);
  }

  /** One cursor page (`wait_ms` long-polls until something newer than `after` exists). */
  readEvents(sessionId: string, params: ReadEventsParams = {}, signal?: AbortSignal): Promise<EventPage> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/events`, EventPageSchema, { query: params, signal });
  }

  /** Every event of the log (matching the filters) from `after`, page by page; ends at the current end. */
  async *readAll(sessionId: string, params: Omit<ReadEventsParams, "wait_ms"> = {}, signal?: AbortSignal): AsyncGenerator<Event> {
    let after = params.after ?? 0;
    for (;;) {
      const page = await this.readEvents(sessionId, { ...params, after }, signal);
      for (const e of page.events) yield e;
      if (page.next_after === null) return;
      after = page.next_after;
    }
  }

  /**
   * Follows a session live: WebSocket first, reconnecting from `last_seen + 1`, long-poll when sockets are unavailable
   * or keep failing. Yields every sequence once, in order (see event-stream.ts).
   */
  events(sessionId: string, opts: FollowOptions = {}): AsyncGenerator<Event> {
    return followEvents(
      {
        readPage: (params, signal) => this.readEvents(sessionId, params, signal),
        openSocket: async (from, filters) => {
          const resolved = await resolveWebSocket(this.wsOption);
          if (!resolved) return null;
          const url = this.http.url(`/sessions/${enc(sessionId)}/ws`, { from_sequence: from, run_id: filters.runId, types: filters.types });
          url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
          const auth = this.wsAuth ?? (resolved.supportsHeaders ? "header" : "query");
          // Keys never go into URLs: a socket that cannot send headers carries a short-lived token for this session.
          if (auth === "query") url.searchParams.set("token", (await this.createStreamToken(sessionId)).token);
          const headers = auth === "header" ? this.http.authHeaders() : undefined;
          return headers ? new resolved.ctor(url.toString(), undefined, { headers }) : new resolved.ctor(url.toString());
        },
      },
      opts,
    );
  }

  /** A short-lived token that opens this session's SSE stream or WebSocket where headers cannot be sent (browsers). */
  createStreamToken(sessionId: string, signal?: AbortSignal): Promise<StreamToken> {
    return this.http.request("POST", `/sessions/${enc(sessionId)}/stream-token`, StreamTokenSchema, { signal });
  }

  // Runs

  submitRun(sessionId: string, body: SubmitRunRequest, opts: SubmitRunOptions = {}): Promise<Run> {
    const headers = opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : undefined;
    return this.http.request("POST", `/sessions/${enc(sessionId)}/runs`, RunSchema, { body, headers, signal: opts.signal });
  }

  /**
   * Create-and-stream: submits the run with `Accept: text/event-stream` and yields that run's events from its
   * `run_queued` through its end event, then returns. A stream cut off before the end event is a retryable
   * network_error (resume with `events(sessionId, {runId, from: last.sequence + 1})`).
   */
  async *streamRun(sessionId: string, body: SubmitRunRequest, opts: SubmitRunOptions = {}): AsyncGenerator<Event> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
    const path = `/sessions/${enc(sessionId)}/runs`;
    for await (const frame of parseSse(this.http.stream("POST", path, { body, headers, signal: opts.signal }))) {
      const parsed = EventSchema.safeParse(parseJsonOrNull(frame.data));
      if (!parsed.success)
        throw new AsmError("invalid_response", `POST ${path}: an event frame is not an event (id ${frame.id ?? "none"})`);
      yield parsed.data;
      if (TERMINAL_TYPES.has(parsed.data.type)) return;
    }
    throw new AsmError("network_error", `POST ${path}: the event stream ended before the run's end event`, { retryable: true });
  }

  listRuns(sessionId: string, params: { limit?: number; cursor?: string } = {}, signal?: AbortSignal): Promise<Page<Run>> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/runs`, RunPageSchema, { query: params, signal });
  }

  getRun(sessionId: string, runId: string, signal?: AbortSignal): Promise<Run> {
    return this.http.request("GET", runPath(sessionId, runId), RunSchema, { signal });
  }

  cancelRun(sessionId: string, runId: string, signal?: AbortSignal): Promise<Run> {
    return this.http.request("POST", `${runPath(sessionId, runId)}/cancel`, RunSchema, { signal });
  }

  /** Waits server-side until the run ends or `timeoutMs` passes (the run is returned either way). */
  waitRun(sessionId: string, runId: string, timeoutMs?: number, signal?: AbortSignal): Promise<Run> {
    return this.http.request("GET", `${runPath(sessionId, runId)}/wait`, RunSchema, { query: { timeout_ms: timeoutMs }, signal });
  }

  decideApproval(sessionId: string, runId: string, toolCallId: string, body: ApprovalDecisionBody, signal?: AbortSignal): Promise<Run> {
    return this.http.request("POST", `${runPath(sessionId, runId)}/approvals/${enc(toolCallId)}`, RunSchema, { body, signal });
  }

  approve(sessionId: string, runId: string, toolCallId: string, reason?: string): Promise<Run> {
    return this.decideApproval(sessionId, runId, toolCallId, { decision: "grant", ...(reason ? { reason } : {}) });
  }

  deny(sessionId: string, runId: string, toolCallId: string, reason?: string): Promise<Run> {
    return this.decideApproval(sessionId, runId, toolCallId, { decision: "deny", ...(reason ? { reason } : {}) });
  }

  // Session-wide run controls

  /** Cancels every queued and running run of the session. */
  cancelAllRuns(sessionId: string, signal?: AbortSignal): Promise<string[]> {
    return this.http
      .request("POST", `/sessions/${enc(sessionId)}/runs/cancel`, CancelAllResponseSchema, { signal })
      .then((r) => r.cancelled);
  }

  /** Refuses new runs until nothing is queued or running; a timeout is an error (408 drain_timeout) naming what is left. */
  drain(sessionId: string, timeoutMs = 30_000, signal?: AbortSignal): Promise<DrainResponse> {
    return this.http.request("POST", `/sessions/${enc(sessionId)}/drain`, DrainResponseSchema, { body: { timeout_ms: timeoutMs }, signal });
  }

  getSessionStatus(sessionId: string, signal?: AbortSignal): Promise<SessionRuntimeStatus> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/status`, SessionRuntimeStatusSchema, { signal });
  }

  /** Creates a session, runs once and waits (the seed's run_once); a repeated idempotencyKey returns the same pair. */
  runOnce(
    body: { session?: Partial<CreateSessionBody>; run: SubmitRunRequest; wait_ms?: number },
    opts: SubmitRunOptions = {},
  ): Promise<{ run: Run; session: Session }> {
    const headers = opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : undefined;
    return this.http.request("POST", "/runs", OneShotResponseSchema, { body, signal: opts.signal, ...(headers ? { headers } : {}) });
  }

  /** Pending approvals of one session, or of the whole tenant when `sessionId` is null. */
  listPendingApprovals(sessionId: string | null = null, signal?: AbortSignal): Promise<PendingApproval[]> {
    const path = sessionId === null ? "/approvals" : `/sessions/${enc(sessionId)}/approvals`;
    return this.http.request("GET", path, PendingApprovalListSchema, { query: { status: "pending" }, signal }).then((r) => r.items);
  }

  getTranscript(sessionId: string, signal?: AbortSignal): Promise<Transcript> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/transcript`, TranscriptResponseSchema, { signal });
  }

  getRunDiff(sessionId: string, runId: string, signal?: AbortSignal): Promise<RunDiff> {
    return this.http.request("GET", `${runPath(sessionId, runId)}/diff`, DiffResponseSchema, { signal });
  }

  // Query

  queryRuns(params: QueryRunsParams = {}, signal?: AbortSignal): Promise<Page<Run>> {
    return this.http.request("GET", "/query/runs", RunPageSchema, { query: params, signal });
  }

  queryCost(params: QueryCostParams = {}, signal?: AbortSignal): Promise<CostSummary> {
    return this.http.request("GET", "/query/cost", CostSummarySchema, { query: params, signal });
  }

  // Session statistics, counts, export and import

  /** Event and run totals of one session, from its own object (GET …/stats). */
  sessionStats(sessionId: string, signal?: AbortSignal): Promise<SessionStats> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/stats`, SessionStatsSchema, { signal });
  }

  /** How many events match the read's filters (GET …/events/count). */
  countEvents(sessionId: string, params: Omit<ReadEventsParams, "limit" | "wait_ms"> = {}, signal?: AbortSignal): Promise<EventCount> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/events/count`, EventCountSchema, { query: params, signal });
  }

  /** The session as NDJSON text (header, session, runs, events, end); importSession restores it on any deployment. */
  exportSession(sessionId: string, signal?: AbortSignal): Promise<string> {
    return this.http.raw("GET", `/sessions/${enc(sessionId)}/export`, { signal, headers: { accept: "application/x-ndjson" } });
  }

  /** The same export as text chunks while the server streams it (for exports too large to hold at once). */
  exportSessionStream(sessionId: string, signal?: AbortSignal): AsyncGenerator<string> {
    return this.http.stream("GET", `/sessions/${enc(sessionId)}/export`, { signal, headers: { accept: "application/x-ndjson" } });
  }

  /**
   * Restores an export as a new session of this client's tenant: NDJSON text is sent as it is (the server names a
   * bad line by its number in that text), parsed lines as a JSON array.
   */
  importSession(exported: string | readonly unknown[], signal?: AbortSignal): Promise<ImportResult> {
    const body = typeof exported === "string" ? { rawBody: { text: exported, contentType: "application/x-ndjson" } } : { body: exported };
    return this.http.request("POST", "/sessions/import", ImportResultSchema, { ...body, signal });
  }

  /** A new session with events 1..atSequence of this one, their runs and (from a git snapshot) the workspace of then. */
  forkSession(sessionId: string, atSequence: number, signal?: AbortSignal): Promise<ForkResult> {
    return this.http.request("POST", `/sessions/${enc(sessionId)}/fork`, ForkResultSchema, { body: { at_sequence: atSequence }, signal });
  }

  /** Schedules a run body: `{cron}` (5 fields, UTC), `{at}` (once) or `{every_ms}` (at least 60000), plus `run`. */
  createSchedule(sessionId: string, body: CreateScheduleRequest, signal?: AbortSignal): Promise<Schedule> {
    return this.http.request("POST", `/sessions/${enc(sessionId)}/schedules`, ScheduleSchema, { body, signal });
  }

  listSchedules(sessionId: string, signal?: AbortSignal): Promise<Schedule[]> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/schedules`, ScheduleListSchema, { signal }).then((r) => r.items);
  }

  getSchedule(sessionId: string, scheduleId: string, signal?: AbortSignal): Promise<Schedule> {
    return this.http.request("GET", `/sessions/${enc(sessionId)}/schedules/${enc(scheduleId)}`, ScheduleSchema, { signal });
  }

  deleteSchedule(sessionId: string, scheduleId: string, signal?: AbortSignal): Promise<Schedule> {
    return this.http.request("DELETE", `/sessions/${enc(sessionId)}/schedules/${enc(scheduleId)}`, ScheduleSchema, { signal });
  }

  providers(signal?: AbortSignal): Promise<unknown> {
    return this.http.request("GET", "/providers", ProvidersResponseSchema, { signal });
  }
}

const enc = encodeURIComponent;
const runPath = (sessionId: string, runId: string) => `/sessions/${enc(sessionId)}/runs/${enc(runId)}`;

const TERMINAL_TYPES: ReadonlySet<string> = new Set(RUN_TERMINAL_EVENT_TYPES);

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const PendingApprovalListSchema = z.object({ items: z.array(PendingApprovalSchema) });
const OneShotResponseSchema = z.object({ run: RunSchema, session: SessionSchema });

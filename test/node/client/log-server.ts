import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { Event } from "../../../src/core/event";
import type { Run } from "../../../src/core/run";
import type { Session } from "../../../src/core/session";
import { parseAck } from "../../../src/core/socket-protocol";
import { CreateScheduleBodySchema, type Schedule } from "../../../src/core/schedule";
import { ForkBodySchema, type ForkResult } from "../../../src/core/session-fork";

/**
 * A small HTTP + WebSocket server that serves one in-memory session log the way the ASM API does (cursor pages,
 * `wait_ms` long-poll, `/ws` replay from `from_sequence` inclusive then live, "ping" → "pong", `{error:{…}}` bodies),
 * with faults the follower must survive: connections dropped after a random number of frames, duplicated frames,
 * frames lost in transit, sockets that go silent, refused upgrades and failing long-polls.
 */
export type Faults = {
  /** Each connection is cut (TCP reset) after a random 1..maxFramesPerConnection frames; 0 = never. */
  maxFramesPerConnection: number;
  duplicateRate: number;
  /** A lost frame: the event is not sent on this connection (the next one makes a gap). */
  loseRate: number;
  /** Chance a new connection goes silent after its first frame: no events, no pongs, no close. */
  silentRate: number;
  refuseUpgrade: boolean;
  /** Chance a long-poll answers 503 (retryable) or has its socket destroyed. */
  pollFailRate: number;
  /** Flow control as the real server does it: never send a sequence beyond the last `{"type":"ack"}` + window. */
  window: number;
};

export const NO_FAULTS: Faults = {
  maxFramesPerConnection: 0,
  duplicateRate: 0,
  loseRate: 0,
  silentRate: 0,
  refuseUpgrade: false,
  pollFailRate: 0,
  window: Infinity,
};

type Sub = {
  ws: WebSocket;
  next: number;
  runId?: string;
  types?: string[];
  budget: number;
  silent: boolean;
  lastSent?: Event;
  acked: number;
};
type Waiter = { after: number; runId?: string; types?: string[]; wake: () => void };

/** The run records the server answers for (`GET …/runs/:rid`), and approval decisions it received. */
export type RunState = { status: Run["status"]; decisions: Array<{ tool_call_id: string; decision: string; reason?: string }> };

export type LogServer = {
  runs: Map<string, RunState>;
  /** Bodies of `POST …/runs`, with their Idempotency-Key. */
  submissions: Array<{ body: unknown; idempotencyKey: string | undefined; runId: string }>;
  /** Schedules by id, created through `POST …/schedules` (bodies checked by the server's own schema). */
  schedules: Map<string, Schedule>;
  /** The `at_sequence` of each `POST …/fork`. */
  forks: number[];
  url: string;
  apiKey: string;
  faults: Faults;
  events: Event[];
  stats: {
    connections: number;
    drops: number;
    lost: number;
    duplicated: number;
    silenced: number;
    pollFailures: number;
    pings: number;
    acks: number;
  };
  openSockets(): number;
  append(inputs: Array<{ type: Event["type"]; run_id?: string | null; data?: Record<string, unknown> }>): Event[];
  dropAll(): void;
  close(): Promise<void>;
};

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

export async function startLogServer(sessionId: string, seed = 1, faults: Partial<Faults> = {}): Promise<LogServer> {
  let state = seed >>> 0 || 1;
  // A seeded xorshift, so a failing run can be replayed with its seed.
  const random = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  const apiKey = "test_key";
  const events: Event[] = [];
  const subs = new Set<Sub>();
  let waiters: Waiter[] = [];
  const sockets = new Set<Socket>();
  const runs = new Map<string, RunState>();
  const runRecord = (id: string, status: Run["status"]): Run => ({
    id,
    session_id: sessionId,
    status,
    provider: "anthropic",
    model: null,
    input: { prompt: "x" },
    output: null,
    error: null,
    token_usage: { input: 0, output: 0, cache_read: 0, cache_creation: 0, total: 0 },
    cost_usd: null,
    turn_count: 0,
    metadata: {},
    idempotency_key: null,
    queued_at: new Date(0).toISOString(),
    started_at: null,
    ended_at: null,
  });
  const submissions: LogServer["submissions"] = [];
  const sessionRecord = (): Session => ({
    id: sessionId,
    tenant_id: "tenant_a",
    agent_id: "test",
    parent_session_id: null,
    status: "active",
    metadata: {},
    context: {},
    tags: [],
    max_concurrent_runs: 1,
    max_queued_runs: 10,
    token_usage: { input: 0, output: 0, cache_read: 0, cache_creation: 0, total: 0 },
    cost_usd: null,
    last_sequence: events.length,
    created_at: new Date(0).toISOString(),
    updated_at: new Date(0).toISOString(),
    deleted_at: null,
  });
  const stats = { connections: 0, drops: 0, lost: 0, duplicated: 0, silenced: 0, pollFailures: 0, pings: 0, acks: 0 };
  const f: Faults = { ...NO_FAULTS, ...faults };

  const matches = (e: Event, runId?: string, types?: string[]) => (!runId || e.run_id === runId) && (!types || types.includes(e.type));

  const read = (after: number, before: number | undefined, limit: number, runId?: string, types?: string[]) =>
    events.filter((e) => e.sequence > after && (before === undefined || e.sequence < before) && matches(e, runId, types)).slice(0, limit);

  function pump(sub: Sub): void {
    if (sub.silent || sub.ws.readyState !== sub.ws.OPEN) return;
    while (sub.next <= events.length && sub.next <= sub.acked + f.window) {
      const e = events[sub.next - 1]!;
      sub.next += 1;
      if (!matches(e, sub.runId, sub.types)) continue;
      if (f.loseRate > 0 && random() < f.loseRate) {
        stats.lost += 1;
        continue;
      }
      send(sub, e);
      if (sub.lastSent && f.duplicateRate > 0 && random() < f.duplicateRate) {
        stats.duplicated += 1;
        send(sub, sub.lastSent);
      }
      sub.lastSent = e;
      if (sub.silent || sub.ws.readyState !== sub.ws.OPEN) return;
    }
  }

  function send(sub: Sub, e: Event): void {
    if (sub.ws.readyState !== sub.ws.OPEN) return;
    sub.ws.send(JSON.stringify(e));
    sub.budget -= 1;
    if (sub.budget === 0) {
      stats.drops += 1;
      sub.ws.terminate();
      subs.delete(sub);
    } else if (f.silentRate > 0 && random() < f.silentRate) {
      stats.silenced += 1;
      sub.silent = true;
    }
  }

  const streamToken = `stream-token-for-${sessionId}`;
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => void handle(req, res));
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://x");
    // Like the service: a header key, or a stream token minted for this session (never the key in the URL).
    const authorized = req.headers.authorization === `Bearer ${apiKey}` || url.searchParams.get("token") === streamToken;
    if (f.refuseUpgrade || !authorized || url.pathname !== `/v1/sessions/${sessionId}/ws`) {
      socket.end(`HTTP/1.1 ${authorized ? 503 : 401} No\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      stats.connections += 1;
      const types = url.searchParams.get("types")?.split(",");
      const next = Math.max(1, Number(url.searchParams.get("from_sequence") ?? 1));
      const sub: Sub = {
        ws,
        next,
        ...(url.searchParams.get("run_id") ? { runId: url.searchParams.get("run_id")! } : {}),
        ...(types ? { types } : {}),
        budget: f.maxFramesPerConnection > 0 ? 1 + Math.floor(random() * f.maxFramesPerConnection) : -1,
        silent: false,
        acked: next - 1,
      };
      subs.add(sub);
      ws.on("message", (data) => {
        const ack = parseAck(data.toString());
        if (ack !== null) {
          stats.acks += 1;
          sub.acked = Math.max(sub.acked, Math.min(ack, sub.lastSent?.sequence ?? 0));
          return pump(sub);
        }
        if (data.toString() !== "ping") return;
        stats.pings += 1;
        if (!sub.silent && ws.readyState === ws.OPEN) ws.send("pong");
      });
      ws.on("close", () => subs.delete(sub));
      pump(sub);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, message: string, retryable = false) =>
      json(status, { error: { code, message, details: {}, retryable } });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return error(401, "unauthorized", "Missing or invalid API key");
    if (url.pathname === `/v1/sessions/${sessionId}` && req.method === "GET") return json(200, sessionRecord());
    if (url.pathname === `/v1/sessions/${sessionId}/stream-token` && req.method === "POST") {
      return json(200, { token: streamToken, session_id: sessionId, expires_at: new Date(Date.now() + 600_000).toISOString() });
    }
    if (url.pathname === `/v1/sessions/${sessionId}/runs` && req.method === "POST") {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const id = `run_${String(runs.size + 1).padStart(32, "0")}`;
      submissions.push({ body: JSON.parse(raw), idempotencyKey: req.headers["idempotency-key"] as string | undefined, runId: id });
      runs.set(id, { status: "queued", decisions: [] });
      return json(202, runRecord(id, "queued"));
    }
    if (url.pathname === `/v1/sessions/${sessionId}/fork` && req.method === "POST") {
      const body = ForkBodySchema.safeParse(await readJson(req));
      if (!body.success) return error(400, "validation_error", body.error.issues[0]?.message ?? "invalid body");
      if (body.data.at_sequence > events.length) {
        return json(400, {
          error: {
            code: "sequence_out_of_range",
            message: "at_sequence is beyond the log",
            details: { latest_sequence: events.length },
            retryable: false,
          },
        });
      }
      forks.push(body.data.at_sequence);
      return json(201, forkResult(body.data.at_sequence));
    }
    if (url.pathname === `/v1/sessions/${sessionId}/schedules`) {
      if (req.method === "GET") return json(200, { items: [...schedules.values()] });
      const body = CreateScheduleBodySchema.safeParse(await readJson(req));
      if (!body.success) return error(400, "validation_error", body.error.issues[0]?.message ?? "invalid body");
      const schedule = scheduleRecord(body.data);
      schedules.set(schedule.id, schedule);
      return json(201, schedule);
    }
    const scheduleMatch = url.pathname.match(new RegExp(`^/v1/sessions/${sessionId}/schedules/([^/]+)$`));
    if (scheduleMatch) {
      const schedule = schedules.get(decodeURIComponent(scheduleMatch[1]!));
      if (!schedule) return error(404, "not_found", `Schedule ${scheduleMatch[1]} not found`);
      if (req.method === "DELETE") {
        // Like the service: the schedule as it was (submitted runs are left alone).
        schedules.delete(schedule.id);
      }
      return json(200, schedule);
    }
    const runMatch = url.pathname.match(new RegExp(`^/v1/sessions/${sessionId}/runs/([^/]+)(?:/approvals/([^/]+))?$`));
    if (runMatch) {
      const run = runs.get(runMatch[1]!);
      if (!run) return error(404, "run_not_found", "No such run");
      if (runMatch[2] && req.method === "POST") {
        let raw = "";
        for await (const chunk of req) raw += chunk;
        run.decisions.push({
          tool_call_id: decodeURIComponent(runMatch[2]),
          ...(JSON.parse(raw) as { decision: string; reason?: string }),
        });
        run.status = "running";
      }
      return json(200, runRecord(runMatch[1]!, run.status));
    }
    if (url.pathname !== `/v1/sessions/${sessionId}/events`) return error(404, "session_not_found", "No such session");
    if (req.method === "POST") {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const body = JSON.parse(raw) as { events: Parameters<LogServer["append"]>[0] };
      return json(201, { events: append(body.events) });
    }
    if (f.pollFailRate > 0 && random() < f.pollFailRate) {
      stats.pollFailures += 1;
      if (random() < 0.5) return error(503, "storage_connection_failed", "try again", true);
      req.socket.destroy();
      return;
    }
    const q = url.searchParams;
    const after = Number(q.get("after") ?? 0);
    const before = q.has("before") ? Number(q.get("before")) : undefined;
    const limit = Number(q.get("limit") ?? 100);
    const runId = q.get("run_id") ?? undefined;
    const types = q.get("type")?.split(",");
    let page = read(after, before, limit, runId, types);
    const wait = Number(q.get("wait_ms") ?? 0);
    if (page.length === 0 && wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), wait);
        waiters.push({
          after,
          ...(runId ? { runId } : {}),
          ...(types ? { types } : {}),
          wake: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
      page = read(after, before, limit, runId, types);
    }
    const last = page[page.length - 1];
    json(200, { events: page, latest_sequence: events.length, next_after: last && page.length === limit ? last.sequence : null });
  }

  const schedules = new Map<string, Schedule>();
  const forks: number[] = [];
  const scheduleRecord = (body: ReturnType<typeof CreateScheduleBodySchema.parse>): Schedule => ({
    id: `sch_${String(schedules.size + 1).padStart(32, "0")}`,
    session_id: sessionId,
    kind: body.cron !== undefined ? "cron" : body.at !== undefined ? "at" : "every",
    cron: body.cron ?? null,
    at: body.at ?? null,
    every_ms: body.every_ms ?? null,
    run: body.run,
    status: "active",
    created_at: new Date(0).toISOString(),
    next_run_at: body.at ?? new Date(60_000).toISOString(),
    last_fired_at: null,
    last_run_id: null,
    fire_count: 0,
    skip_count: 0,
  });
  const forkResult = (atSequence: number): ForkResult => {
    const kept = events.slice(0, atSequence);
    const runIds = [...new Set(kept.flatMap((e) => (e.run_id ? [e.run_id] : [])))];
    return {
      session: { ...sessionRecord(), id: "ses_f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0", parent_session_id: sessionId, last_sequence: atSequence },
      forked_from: { session_id: sessionId, at_sequence: atSequence },
      run_ids: Object.fromEntries(runIds.map((id, i) => [id, `run_${String(i + 1).padStart(32, "f")}`])),
      run_count: runIds.length,
      event_count: kept.length,
      workspace: { status: "none", snapshot_sequence: null, ref: null, path: null },
    };
  };

  function append(inputs: Parameters<LogServer["append"]>[0]): Event[] {
    const stored = inputs.map((input) => {
      const e: Event = {
        id: `evt_${String(events.length + 1).padStart(32, "0")}`,
        session_id: sessionId,
        run_id: input.run_id ?? null,
        sequence: events.length + 1,
        type: input.type,
        timestamp: new Date().toISOString(),
        provider: null,
        correlation_id: null,
        schema_version: 1,
        origin: "client",
        data: input.data ?? {},
        metadata: {},
      };
      events.push(e);
      return e;
    });
    for (const sub of subs) pump(sub);
    const woken = waiters.filter((w) => stored.some((e) => e.sequence > w.after && matches(e, w.runId, w.types)));
    waiters = waiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.wake();
    return stored;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    faults: f,
    events,
    stats,
    runs,
    submissions,
    schedules,
    forks,
    openSockets: () => subs.size,
    append,
    dropAll() {
      for (const sub of subs) sub.ws.terminate();
      subs.clear();
    },
    async close() {
      for (const w of waiters) w.wake();
      for (const sub of subs) sub.ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSession, openSessionSocket, startStack } from "../../bench/harness.mjs";

const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 50);
const EVENTS = Number(process.env.SOAK_EVENTS ?? 2000);
const SUBSCRIBERS = 5;
const BATCH = 50;
const CONCURRENCY = 8;

let stack: Awaited<ReturnType<typeof startStack>>;

/** A second tenant with tight quotas, for the quota paths (the `bench` tenant's are raised in bench/wrangler.toml). */
const QUOTA_KEY = "soak_quota_key";
const QUOTAS = { active_sessions: 30, concurrent_runs: 4, queued_runs: 64, events_per_second: 100, ws_subscribers_per_session: 3 };

async function d1Count(sessionId: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page: { items: unknown[]; next_cursor: string | null } = await api(
      stack,
      `/v1/query/events?session_id=${sessionId}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
    );
    count += page.items.length;
    cursor = page.next_cursor;
  } while (cursor);
  return count;
}

/**
 * Bounded load on loopback against `wrangler dev` (the clients run in this Node process, the service in workerd):
 * every subscriber must see every sequence exactly once and in order, and D1 must hold all of them.
 */
// One stack for both suites. A flow-control window far below the 2,001 events per session: every subscriber must
// ack to see them all.
beforeAll(async () => {
  stack = await startStack({
    apiKey: "soak_key",
    vars: {
      SUBSCRIBER_MAX_QUEUED: "500",
      API_KEYS: `soak_key=bench,${QUOTA_KEY}=soak_quota`,
      TENANT_QUOTAS: JSON.stringify({ soak_quota: QUOTAS }),
    },
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe("load", () => {
  it(`${SESSIONS} sessions × ${EVENTS} events with ${SUBSCRIBERS} WebSocket subscribers each`, async () => {
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => createSession(stack, { agent_id: "soak" })));
    const seen = new Map<string, number[][]>();
    const sockets: WebSocket[] = [];
    for (const s of sessions) {
      const lists: number[][] = [];
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const list: number[] = [];
        // Acks every 64 events, as the typed client does.
        const ws = await openSessionSocket(stack, s.id, 1, (e) => list.push(e.sequence));
        lists.push(list);
        sockets.push(ws);
      }
      seen.set(s.id, lists);
    }
    const jobs = sessions.flatMap((s) => Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, b) => ({ sid: s.id, from: b * BATCH })));
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          const events = Array.from({ length: Math.min(BATCH, EVENTS - job.from) }, (_, i) => ({
            type: "message_streamed",
            data: { content: `${job.from + i}`, delta: `${job.from + i}` },
          }));
          await api(stack, `/v1/sessions/${job.sid}/events`, { method: "POST", body: JSON.stringify({ events }) });
        }
      }),
    );
    const appendMs = Date.now() - started;
    const expected = Array.from({ length: EVENTS + 1 }, (_, i) => i + 1);
    const deadline = Date.now() + 180_000;
    const complete = () => [...seen.values()].every((lists) => lists.every((l) => l.length >= EVENTS + 1));
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const deliveredMs = Date.now() - started;
    for (const [sid, lists] of seen) for (const l of lists) expect(l, sid).toEqual(expected);
    // D1 (read through the query API, which only reads D1) holds every event of every session once flushed.
    for (const s of sessions) {
      let count = 0;
      for (const giveUp = Date.now() + 60_000; count < EVENTS + 1 && Date.now() < giveUp; ) {
        count = await d1Count(s.id);
        if (count < EVENTS + 1) await new Promise((r) => setTimeout(r, 200));
      }
      expect(count, s.id).toBe(EVENTS + 1);
    }
    const health = await api(stack, "/v1/maintenance/health?lag_sessions=0");
    expect(health.gaps).toEqual([]);
    for (const ws of sockets) ws.close();
    console.log(
      `load: ${SESSIONS * EVENTS} events appended in ${appendMs} ms (${Math.round((SESSIONS * EVENTS) / (appendMs / 1000))} events/s); ${sockets.length} sockets had every event after ${deliveredMs} ms`,
    );
  }, 900_000);
});

type Answer = { status: number; headers: Headers; body: any }; // `any`: JSON of any route, inspected field by field

async function call(key: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${stack.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not ours (the runtime answered, e.g. a 503 when the worker restarted): keep the text for the failure message.
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** Every refusal is the same shape: 429, the quota named, Retry-After and the RateLimit fields. */
function expectRefusal(a: Answer, quota: string, limit: number): void {
  expect(a.status, JSON.stringify(a.body)).toBe(429);
  expect(a.body.error.details).toMatchObject({ quota, limit });
  expect(Number(a.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(a.headers.get("ratelimit-policy")).toMatch(new RegExp(`^"${quota}";q=${limit}`));
  // r is what is left: a refused batch may have asked for more than that.
  expect(a.headers.get("ratelimit")).toMatch(new RegExp(`^"${quota}";r=\\d+;t=\\d+$`));
}

/** A WebSocket upgrade the server answers with an HTTP error instead of 101: that answer. */
function refusedUpgrade(sessionId: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.url.replace("http", "ws")}/v1/sessions/${sessionId}/ws`, {
      headers: { authorization: `Bearer ${QUOTA_KEY}` },
    });
    ws.once("open", () => reject(new Error("the upgrade was accepted")));
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, body: JSON.parse(text) });
      });
    });
    ws.once("error", () => undefined);
  });
}

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

/** The most runs that were running at the same moment, from their start and end times. */
function maxOverlap(runs: { started_at: string; ended_at: string }[]): number {
  const edges = runs
    .flatMap(
      (r) =>
        [
          [Date.parse(r.started_at), 1],
          [Date.parse(r.ended_at), -1],
        ] as const,
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

describe("quota paths under load", () => {
  it("active sessions, appended events per second, concurrent and queued runs, subscribers: refused with the 429 shape, the rest served", async () => {
    // Active sessions: 36 at once against a limit of 30.
    const creates = await Promise.all(
      Array.from({ length: 36 }, () => call(QUOTA_KEY, "/v1/sessions", post({ agent_id: "soak-quota", max_concurrent_runs: 4 }))),
    );
    const sessions = creates.filter((a) => a.status === 201).map((a) => a.body as { id: string });
    const refusedSessions = creates.filter((a) => a.status !== 201);
    expect(sessions).toHaveLength(QUOTAS.active_sessions);
    for (const a of refusedSessions) expectRefusal(a, "active_sessions", QUOTAS.active_sessions);
    for (const s of sessions.slice(0, 6))
      expect(
        (await call(QUOTA_KEY, `/v1/sessions/${s.id}`, { method: "PATCH", body: JSON.stringify({ status: "completed" }) })).status,
      ).toBe(200);
    const again = await Promise.all(
      Array.from({ length: 6 }, () => call(QUOTA_KEY, "/v1/sessions", post({ agent_id: "soak-quota", max_concurrent_runs: 4 }))),
    );
    expect(again.map((a) => a.status)).toEqual(Array(6).fill(201));
    const live = [...sessions.slice(6), ...again.map((a) => a.body as { id: string })];

    // Appended events per second: 8 writers as fast as they can for 5 s, honouring the refusals; the bench tenant
    // appends beside them, unlimited.
    const writers = live.slice(0, 8);
    const accepted = new Map<string, number>();
    let refusedAppends = 0;
    const benchSession = await createSession(stack, { agent_id: "soak-neighbour" });
    const neighbourMs: number[] = [];
    const started = Date.now();
    const until = started + 5_000;
    await Promise.all([
      ...writers.map(async (s) => {
        while (Date.now() < until) {
          const a = await call(
            QUOTA_KEY,
            `/v1/sessions/${s.id}/events`,
            post({ events: Array.from({ length: 25 }, (_, i) => ({ type: "message_sent", data: { content: `q${i}` } })) }),
          );
          if (a.status === 201) accepted.set(s.id, (accepted.get(s.id) ?? 0) + 25);
          else {
            expectRefusal(a, "events_per_second", QUOTAS.events_per_second);
            refusedAppends += 1;
            await new Promise((r) => setTimeout(r, Math.max(20, Number(a.body.error.details.retry_after_ms))));
          }
        }
      }),
      (async () => {
        while (Date.now() < until) {
          const t0 = performance.now();
          await api(
            stack,
            `/v1/sessions/${benchSession.id}/events`,
            post({ events: Array.from({ length: 25 }, () => ({ type: "message_sent", data: { content: "n" } })) }),
          );
          neighbourMs.push(performance.now() - t0);
        }
      })(),
    ]);
    const elapsedS = (Date.now() - started) / 1000;
    const total = [...accepted.values()].reduce((a, b) => a + b, 0);
    // One second's worth of burst, then the rate (leases can only lose tokens, never add them).
    expect(total).toBeLessThanOrEqual(QUOTAS.events_per_second * (elapsedS + 1) + 25 * writers.length);
    expect(total).toBeGreaterThan(0);
    expect(refusedAppends).toBeGreaterThan(0);
    for (const s of writers) {
      const page = await call(QUOTA_KEY, `/v1/sessions/${s.id}/events?limit=1000`);
      expect(page.body.latest_sequence, s.id).toBe((accepted.get(s.id) ?? 0) + 1);
    }
    neighbourMs.sort((a, b) => a - b);

    // Concurrent runs: 8 sessions × 4 runs (32) against 4 tenant slots; queued places: 64.
    const runSessions = live.slice(8, 16);
    const runs = await Promise.all(
      runSessions.flatMap((s) =>
        Array.from({ length: 4 }, async () => {
          const a = await call(QUOTA_KEY, `/v1/sessions/${s.id}/runs`, post({ provider: "shell", input: "sleep 0.3; echo ok" }));
          expect(a.status).toBe(202);
          return { sid: s.id, id: (a.body as { id: string }).id };
        }),
      ),
    );
    const ended = await Promise.all(
      runs.map(async ({ sid, id }) => {
        for (;;) {
          const run = (await call(QUOTA_KEY, `/v1/sessions/${sid}/runs/${id}/wait?timeout_ms=20000`)).body;
          if (["completed", "failed", "cancelled", "timeout"].includes(run.status))
            return run as { status: string; started_at: string; ended_at: string };
        }
      }),
    );
    expect(ended.map((r) => r.status)).toEqual(Array(32).fill("completed"));
    const overlap = maxOverlap(ended);
    expect(overlap).toBeLessThanOrEqual(QUOTAS.concurrent_runs);

    // Queued runs: four long runs hold every tenant slot, so nothing submitted now can start: 64 queued places, then 429.
    const hogs = await Promise.all(
      live.slice(18, 22).map(async (s) => {
        const a = await call(QUOTA_KEY, `/v1/sessions/${s.id}/runs`, post({ provider: "shell", input: "sleep 30" }));
        return { sid: s.id, id: (a.body as { id: string }).id };
      }),
    );
    for (const h of hogs) {
      while ((await call(QUOTA_KEY, `/v1/sessions/${h.sid}/runs/${h.id}`)).body.status !== "running")
        await new Promise((r) => setTimeout(r, 50));
    }
    const queueSession = live[16]!;
    const queueResults = await Promise.all(
      Array.from({ length: 70 }, () => call(QUOTA_KEY, `/v1/sessions/${queueSession.id}/runs`, post({ provider: "shell", input: "true" }))),
    );
    const queuedRefused = queueResults.filter((a) => a.status === 429);
    for (const a of queuedRefused) expectRefusal(a, "queued_runs", QUOTAS.queued_runs);
    expect(queueResults.filter((a) => a.status === 202)).toHaveLength(QUOTAS.queued_runs);
    await call(QUOTA_KEY, `/v1/sessions/${queueSession.id}/runs/cancel`, { method: "POST" });
    for (const h of hogs) await call(QUOTA_KEY, `/v1/sessions/${h.sid}/runs/${h.id}/cancel`, { method: "POST" });

    // WebSocket subscribers: 3 per session, the 4th refused.
    const wsSession = live[17]!;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await openSessionSocket({ url: stack.url, apiKey: QUOTA_KEY }, wsSession.id));
    expectRefusal(await refusedUpgrade(wsSession.id), "ws_subscribers_per_session", QUOTAS.ws_subscribers_per_session);
    for (const ws of sockets) ws.close();

    console.log(
      `quota paths: sessions ${sessions.length} admitted / ${refusedSessions.length} refused (limit ${QUOTAS.active_sessions}); ` +
        `events ${total} accepted in ${elapsedS.toFixed(1)} s = ${Math.round(total / elapsedS)}/s (limit ${QUOTAS.events_per_second}/s), ${refusedAppends} appends refused; ` +
        `neighbour tenant append p50 ${neighbourMs[Math.floor(neighbourMs.length / 2)]?.toFixed(1)} ms over ${neighbourMs.length} appends; ` +
        `32 runs completed with at most ${overlap} at once (limit ${QUOTAS.concurrent_runs}); ` +
        `queued runs ${queueResults.length - queuedRefused.length} accepted / ${queuedRefused.length} refused (limit ${QUOTAS.queued_runs}); 4th subscriber refused`,
    );
  }, 600_000);
});

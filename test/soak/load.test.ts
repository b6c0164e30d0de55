import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSession, openSessionSocket, startStack } from "../../bench/harness.mjs";

const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 50);
const EVENTS = Number(process.env.SOAK_EVENTS ?? 2000);
const SUBSCRIBERS = 5;
const BATCH = 50;
const CONCURRENCY = 8;

let stack: Awaited<ReturnType<typeof startStack>>;

async function d1Count(sessionId: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page: { items: unknown[]; next_cursor: string | null } = await api(stack, `/v1/query/events?session_id=${sessionId}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    count += page.items.length;
    cursor = page.next_cursor;
  } while (cursor);
  return count;
}

/**
 * Bounded load on loopback against `wrangler dev` (the clients run in this Node process, the service in workerd):
 * every subscriber must see every sequence exactly once and in order, and D1 must hold all of them.
 */
describe("load", () => {
  // A flow-control window far below the 2,001 events per session: every subscriber must ack to see them all.
  beforeAll(async () => { stack = await startStack({ apiKey: "soak_key", vars: { SUBSCRIBER_MAX_QUEUED: "500" } }); }, 120_000);
  afterAll(async () => { await stack?.stop(); });

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
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const events = Array.from({ length: Math.min(BATCH, EVENTS - job.from) }, (_, i) => ({ type: "message_streamed", data: { content: `${job.from + i}`, delta: `${job.from + i}` } }));
        await api(stack, `/v1/sessions/${job.sid}/events`, { method: "POST", body: JSON.stringify({ events }) });
      }
    }));
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
    console.log(`load: ${SESSIONS * EVENTS} events appended in ${appendMs} ms (${Math.round((SESSIONS * EVENTS) / (appendMs / 1000))} events/s); ${sockets.length} sockets had every event after ${deliveredMs} ms`);
  }, 900_000);
});

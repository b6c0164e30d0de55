import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, openSessionSocket, startStack, stats } from "../../bench/harness.mjs";

const SUBSCRIBERS = Number(process.env.SOAK_FANOUT_SUBSCRIBERS ?? 300);
const APPENDS = 40;
const BATCH = 50;
const BURST = 200;

let stack: Awaited<ReturnType<typeof startStack>>;

/**
 * Issue 14 under `wrangler dev`: 300 WebSocket subscribers on one session while 50-event appends and then a burst
 * of 200 concurrent single-event appends go in. Every append must answer 201 (no 503), and every subscriber must
 * see every sequence exactly once and in order.
 */
describe("fan-out soak", () => {
  beforeAll(async () => {
    stack = await startStack({ apiKey: "soak_fanout_key" });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it(`${SUBSCRIBERS} subscribers on one session, ${APPENDS} × ${BATCH}-event appends, then ${BURST} concurrent appenders`, async () => {
    const s = await createSession(stack, { agent_id: "soak-fanout" });
    const lists: number[][] = [];
    const sockets = [];
    for (let i = 0; i < SUBSCRIBERS; i += 50) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, SUBSCRIBERS - i) }, () => {
            const list: number[] = [];
            lists.push(list);
            return openSessionSocket(stack, s.id, 1, (e: { sequence: number }) => list.push(e.sequence));
          }),
        )),
      );
    }
    const post = async (events: unknown[]) => {
      const started = performance.now();
      const res = await fetch(`${stack.url}/v1/sessions/${s.id}/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - started };
    };
    const answers = [];
    for (let i = 0; i < APPENDS; i++) {
      answers.push(
        await post(
          Array.from({ length: BATCH }, (_, j) => ({ type: "message_streamed", data: { content: `${i}-${j}`, delta: `${i}-${j}` } })),
        ),
      );
    }
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) => post([{ type: "message_sent", data: { role: "user", content: `b${i}` } }])),
    );
    const statuses = [...answers, ...burst].map((a) => a.status);
    expect(statuses.filter((code) => code !== 201)).toEqual([]);
    const total = 1 + APPENDS * BATCH + BURST;
    const deadline = Date.now() + 300_000;
    while (lists.some((l) => l.length < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    for (const l of lists) expect(l).toEqual(expected);
    for (const ws of sockets) ws.close();
    const batchStats = stats(answers.map((a) => a.ms));
    const burstStats = stats(burst.map((a) => a.ms));
    console.log(
      `fan-out soak: ${SUBSCRIBERS} subscribers; ${BATCH}-event appends p50 ${batchStats.p50.toFixed(1)} ms p99 ${batchStats.p99.toFixed(1)} ms; ` +
        `${BURST} concurrent appends all 201, p50 ${burstStats.p50.toFixed(1)} ms p99 ${burstStats.p99.toFixed(1)} ms; every socket had all ${total} events once, in order`,
    );
  }, 900_000);
});

// 10. Appends do not wait for readers: the answer time of a 50-event append with 300 WebSocket subscribers
// against the same append with none, in the same run. Each subscriber acks at the typed client's pace (AckPacer).
// "awaited": the next append goes once every subscriber has the previous one (the answer path alone);
// "overlapping": appends every 200 ms while the previous ones are still being delivered.
// Then a burst of 200 concurrent single-event appenders with the 300 sockets attached: every answer must be 201.
// The sockets live in a child process (bench/subscribers.mjs), as readers are other programs: held in this process,
// each append's 15,000 messages (50 events × 300 sockets) queued on the appender's event loop ahead of its answer,
// and the case measured the bench's own client (bench/README.md, "Case 10 again").
import { createSession, stats } from "../harness.mjs";
import { subscribersInChild } from "../subscribers.mjs";

const SUBSCRIBERS = 300;
/**
 * Appends per measurement. With 100, the p99 was the slowest single append of the run, so one garbage collection in
 * the bench client could move the ratio from 1.5 to 3.4 between two runs of the same code; awaited rounds are quick.
 */
const ROUNDS = { awaited: 500, overlapping: 100 };
const WARMUP = 5;
const BATCH = 50;
const PACE_MS = 200;

const batchOf = (round) =>
  Array.from({ length: BATCH }, (_, j) => ({ type: "message_streamed", data: { content: `r${round}-${j}`, delta: `r${round}-${j}` } }));

async function timedAppend(stack, sessionId, events) {
  const started = performance.now();
  const res = await fetch(`${stack.url}/v1/sessions/${sessionId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  const body = await res.json().catch(() => null);
  return { ms: performance.now() - started, status: res.status, last: body?.events?.at(-1)?.sequence ?? 0 };
}

async function measure(stack, n, overlapping) {
  const s = await createSession(stack);
  const subscribers = n > 0 ? await subscribersInChild(stack, s.id, n) : null;
  const samples = [];
  const statuses = {};
  try {
    for (let round = 0; round < ROUNDS[overlapping ? "overlapping" : "awaited"]; round++) {
      const out = await timedAppend(stack, s.id, batchOf(round));
      statuses[out.status] = (statuses[out.status] ?? 0) + 1;
      if (round >= WARMUP) samples.push(out.ms);
      if (overlapping) await new Promise((r) => setTimeout(r, Math.max(0, PACE_MS - out.ms)));
      else if (subscribers && out.status === 201) await subscribers.reached(out.last);
    }
    await subscribers?.reached(1 + statuses[201] * BATCH);
    return { ...stats(samples), statuses };
  } finally {
    subscribers?.close();
  }
}

async function burst(stack) {
  const s = await createSession(stack);
  const subscribers = await subscribersInChild(stack, s.id, SUBSCRIBERS);
  try {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => timedAppend(stack, s.id, [{ type: "message_sent", data: { role: "user", content: `b${i}` } }])),
    );
    const statuses = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    await subscribers.reached(Math.max(...answers.map((a) => a.last)));
    return { statuses, ...stats(answers.map((a) => a.ms)) };
  } finally {
    subscribers.close();
  }
}

export async function run(stack) {
  const rows = [];
  for (const overlapping of [false, true]) {
    const none = await measure(stack, 0, overlapping);
    const many = await measure(stack, SUBSCRIBERS, overlapping);
    console.log(
      `append-fanout ${overlapping ? "overlapping" : "awaited"}: none ${JSON.stringify(none)} / ${SUBSCRIBERS} ${JSON.stringify(many)}`,
    );
    rows.push({
      case: `append ${BATCH} events, ${overlapping ? "overlapping" : "awaited"}`,
      none_p50_ms: none.p50.toFixed(1),
      none_p99_ms: none.p99.toFixed(1),
      [`subs${SUBSCRIBERS}_p50_ms`]: many.p50.toFixed(1),
      [`subs${SUBSCRIBERS}_p99_ms`]: many.p99.toFixed(1),
      ratio_p99: (many.p99 / none.p99).toFixed(2),
      statuses: JSON.stringify(many.statuses),
    });
  }
  const b = await burst(stack);
  rows.push({
    case: `200 concurrent 1-event appends, ${SUBSCRIBERS} subscribers`,
    none_p50_ms: "",
    none_p99_ms: "",
    [`subs${SUBSCRIBERS}_p50_ms`]: b.p50.toFixed(1),
    [`subs${SUBSCRIBERS}_p99_ms`]: b.p99.toFixed(1),
    ratio_p99: "",
    statuses: JSON.stringify(b.statuses),
  });
  return { name: "append_with_subscribers", rows };
}

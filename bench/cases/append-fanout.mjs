// 10. Appends do not wait for readers: the answer time of a 50-event append with 300 WebSocket subscribers
// against the same append with none, in the same run. Each subscriber acks at the typed client's pace (AckPacer).
// "awaited": the next append goes once every subscriber has the previous one (the answer path alone);
// "overlapping": appends every 200 ms while the previous ones are still being delivered.
// Then a burst of 200 concurrent single-event appenders with the 300 sockets attached: every answer must be 201.
import { createSession, openSessionSocket, stats } from "../harness.mjs";

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

/** `n` sockets on a fresh session; `reached(seq)` resolves once every socket has seen `seq`. */
async function subscribed(stack, n) {
  const s = await createSession(stack);
  const seen = new Array(n).fill(0);
  const sockets = [];
  for (let i = 0; i < n; i += 50) {
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) =>
          openSessionSocket(stack, s.id, 1, (e) => {
            seen[i + k] = e.sequence;
          }),
        ),
      )),
    );
  }
  const reached = async (seq, ms = 120_000) => {
    const deadline = Date.now() + ms;
    while (seen.some((v) => v < seq)) {
      if (Date.now() > deadline) throw new Error(`delivery stalled: ${seen.filter((v) => v < seq).length} sockets below ${seq}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { s, sockets, reached };
}

async function measure(stack, n, overlapping) {
  const { s, sockets, reached } = await subscribed(stack, n);
  const samples = [];
  const statuses = {};
  try {
    for (let round = 0; round < ROUNDS[overlapping ? "overlapping" : "awaited"]; round++) {
      const out = await timedAppend(stack, s.id, batchOf(round));
      statuses[out.status] = (statuses[out.status] ?? 0) + 1;
      if (round >= WARMUP) samples.push(out.ms);
      if (overlapping) await new Promise((r) => setTimeout(r, Math.max(0, PACE_MS - out.ms)));
      else if (n > 0 && out.status === 201) await reached(out.last);
    }
    if (n > 0) await reached(1 + statuses[201] * BATCH);
    return { ...stats(samples), statuses };
  } finally {
    sockets.forEach((ws) => ws.close());
  }
}

async function burst(stack) {
  const { s, sockets, reached } = await subscribed(stack, SUBSCRIBERS);
  try {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => timedAppend(stack, s.id, [{ type: "message_sent", data: { role: "user", content: `b${i}` } }])),
    );
    const statuses = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    await reached(Math.max(...answers.map((a) => a.last)));
    return { statuses, ...stats(answers.map((a) => a.ms)) };
  } finally {
    sockets.forEach((ws) => ws.close());
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

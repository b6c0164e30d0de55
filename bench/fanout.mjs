// Shared by the fan-out cases (ws-latency, agents-peer): open N sockets, then time one marker per round to all.
import WebSocket from "ws";
import { api, BENCH_SOCKET_OPTIONS, createSession, openSessionSocket, stats } from "./harness.mjs";

/**
 * Rounds per measurement. The samples of one round (one per socket) rise and fall together, so a p99 is really a
 * statement about the slowest rounds: with 200 rounds it was the second-slowest round of the run and swung by half
 * between runs; 1,000 rounds put ten rounds in that tail.
 */
export const ROUNDS = 1_000;
export const WARMUP_ROUNDS = 20;

/** Opens sockets 50 at a time: a thousand handshakes at once only measure the local proxy's accept queue. */
export const OPEN_CHUNK = 50;

export async function openAll(urls, headers = {}) {
  const sockets = [];
  for (let i = 0; i < urls.length; i += OPEN_CHUNK) {
    sockets.push(...(await Promise.all(urls.slice(i, i + OPEN_CHUNK).map((u) => openOne(u, headers)))));
  }
  return sockets;
}

/** One handshake, retried once if it neither opens nor fails within 30 s (seen under heavy load on the local proxy). */
async function openOne(url, headers, attempts = 2) {
  try {
    return await new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { ...BENCH_SOCKET_OPTIONS, headers });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`handshake timed out: ${url}`));
      }, 30_000);
      ws.once("open", () => {
        clearTimeout(timer);
        resolve(ws);
      });
      ws.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    if (attempts <= 1) throw err;
    console.error(`retrying: ${err.message}`);
    return openOne(url, headers, attempts - 1);
  }
}

/**
 * Sends one marker per round and records, per round, when the send was answered and each socket's arrival (ms after
 * the send began; rounds after the warm-up only).
 */
export async function measureRounds(sockets, send, rounds = ROUNDS) {
  const measured = [];
  for (let round = 0; round < rounds; round++) {
    const marker = `r${round}-${Math.random()}`;
    const started = performance.now();
    // Sockets still waiting for this round's frame, for the timeout's message (no per-socket work beyond a delete).
    const waiting = new Set(sockets);
    const arrivals = sockets.map(
      (ws) =>
        new Promise((resolve) => {
          const onMessage = (buf) => {
            if (!buf.toString().includes(marker)) return;
            ws.off("message", onMessage);
            waiting.delete(ws);
            resolve(performance.now() - started);
          };
          ws.on("message", onMessage);
        }),
    );
    await send(marker);
    const answered = performance.now() - started;
    measured.push({ answered, arrivals: await allArrived(arrivals, waiting, round) });
  }
  return measured.slice(WARMUP_ROUNDS);
}

/** A round's frame has this long to reach every socket before the case fails (a run once hung here silently). */
const ROUND_TIMEOUT_MS = 120_000;

/** Every socket's arrival, or an error that says how many sockets missed the round and in what state they were. */
async function allArrived(arrivals, waiting, round) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const open = [...waiting].filter((ws) => ws.readyState === WebSocket.OPEN).length;
      reject(
        new Error(
          `round ${round}: ${waiting.size} of ${arrivals.length} sockets had no frame after ${ROUND_TIMEOUT_MS} ms (${open} of them open)`,
        ),
      );
    }, ROUND_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.all(arrivals), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Arrival statistics over every socket of every measured round. */
export async function measureFanout(sockets, send, rounds = ROUNDS) {
  return stats((await measureRounds(sockets, send, rounds)).flatMap((r) => r.arrivals));
}

/** One append of a single `message_streamed` event carrying the marker, through the public API. */
export function appendMarker(stack, sessionId, marker) {
  return api(stack, `/v1/sessions/${sessionId}/events`, {
    method: "POST",
    body: JSON.stringify({ events: [{ type: "message_streamed", data: { delta: marker } }] }),
  });
}

/**
 * `n` ASM subscribers of a session from `from`, opened `OPEN_CHUNK` at a time (each retried once), acking at the
 * typed client's pace; `onEvent(i, event)` sees socket i's events.
 */
export async function openSessionSockets(stack, sessionId, n, from = 1, onEvent = () => undefined) {
  const sockets = [];
  for (let i = 0; i < n; i += OPEN_CHUNK) {
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(OPEN_CHUNK, n - i) }, (_, k) => {
          const open = () => openSessionSocket(stack, sessionId, from, (e) => onEvent(i + k, e));
          return open().catch(open);
        }),
      )),
    );
  }
  return sockets;
}

/**
 * ASM's side of a fan-out case: a fresh session and `n` subscribers that ack at the typed client's pace (its
 * AckPacer); `measure(sockets, send)` runs the rounds, `send(marker)` appending the marker event.
 */
export async function withAsmSubscribers(stack, n, measure) {
  const s = await createSession(stack);
  const sockets = await openSessionSockets(stack, s.id, n, 2);
  try {
    return await measure(sockets, (marker) => appendMarker(stack, s.id, marker));
  } finally {
    sockets.forEach((ws) => ws.close());
  }
}

export function measureAsmFanout(stack, n, rounds = ROUNDS) {
  return withAsmSubscribers(stack, n, (sockets, send) => measureFanout(sockets, send, rounds));
}

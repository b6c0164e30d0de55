// 2. Append-to-delivery latency to 1/10/100 WebSocket subscribers, against a DO that only broadcasts.
import WebSocket from "ws";
import { api, createSession, openSessionSocket, stats } from "../harness.mjs";

const ROUNDS = 200;

async function openAll(urls, headers) {
  return Promise.all(urls.map((u) => new Promise((resolve, reject) => {
    const ws = new WebSocket(u, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  })));
}

/** Sends one event per round and records, per subscriber, the time until it arrives. */
async function measure(sockets, send, skip) {
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    const marker = `r${round}-${Math.random()}`;
    const started = performance.now();
    const arrivals = sockets.map((ws) => new Promise((resolve) => {
      const onMessage = (buf) => {
        const text = buf.toString();
        if (!text.includes(marker)) return;
        ws.off("message", onMessage);
        resolve(performance.now() - started);
      };
      ws.on("message", onMessage);
    }));
    await send(marker);
    samples.push(...(await Promise.all(arrivals)));
  }
  return stats(samples.slice(skip * sockets.length));
}

export async function run(stack) {
  const rows = [];
  for (const n of [1, 10, 100]) {
    const s = await createSession(stack);
    const wsUrl = stack.url.replace("http", "ws");
    // Our subscribers ack every 64 events, as the typed client does; the baseline has no flow control.
    const ours = await Promise.all(Array.from({ length: n }, () => openSessionSocket(stack, s.id, 2)));
    const oursStats = await measure(ours, (marker) => api(stack, `/v1/sessions/${s.id}/events`, {
      method: "POST", body: JSON.stringify({ events: [{ type: "message_streamed", data: { content: marker, delta: marker } }] }),
    }), 10);
    ours.forEach((ws) => ws.close());
    const name = `ws-${n}-${Date.now()}`;
    const base = await openAll(Array.from({ length: n }, () => `${wsUrl}/baseline/${name}/ws`), {});
    const baseStats = await measure(base, async (marker) => {
      const res = await fetch(`${stack.url}/baseline/${name}/append?broadcast=1`, {
        method: "POST", body: JSON.stringify({ events: [{ type: "message_streamed", data: { content: marker, delta: marker } }] }),
      });
      await res.arrayBuffer();
    }, 10);
    base.forEach((ws) => ws.close());
    rows.push({
      case: `ws subscribers=${n}`,
      asm_p50_ms: oursStats.p50.toFixed(2), asm_p99_ms: oursStats.p99.toFixed(2),
      baseline_p50_ms: baseStats.p50.toFixed(2), baseline_p99_ms: baseStats.p99.toFixed(2),
      ratio_p50: (oursStats.p50 / baseStats.p50).toFixed(2),
    });
  }
  return { name: "ws_delivery_latency", rows };
}

// 3. Long-poll wake latency and SSE delivery latency (append → response / frame).
import { api, createSession, stats } from "../harness.mjs";

const ROUNDS = 100;

function appendOne(stack, sid, marker) {
  return api(stack, `/v1/sessions/${sid}/events`, {
    method: "POST",
    body: JSON.stringify({ events: [{ type: "message_streamed", data: { content: marker, delta: marker } }] }),
  });
}

async function longPoll(stack) {
  const s = await createSession(stack);
  const samples = [];
  let after = 1;
  for (let i = 0; i < ROUNDS; i++) {
    const poll = fetch(`${stack.url}/v1/sessions/${s.id}/events?after=${after}&wait_ms=10000`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    await appendOne(stack, s.id, `lp${i}`);
    const page = await (await poll).json();
    samples.push(performance.now() - t0);
    after = page.events.at(-1).sequence;
  }
  return stats(samples);
}

async function sse(stack) {
  const s = await createSession(stack);
  const res = await fetch(`${stack.url}/v1/sessions/${s.id}/events?after=1`, {
    headers: { authorization: `Bearer ${stack.apiKey}`, accept: "text/event-stream" },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const nextFrame = async (marker) => {
    for (;;) {
      const idx = buf.indexOf("\n\n");
      if (idx >= 0) {
        const frame = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        if (frame.includes(marker)) return;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("sse closed");
      buf += decoder.decode(value, { stream: true });
    }
  };
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const marker = `sse${i}-${Math.random()}`;
    const t0 = performance.now();
    const arrived = nextFrame(marker);
    await appendOne(stack, s.id, marker);
    await arrived;
    samples.push(performance.now() - t0);
  }
  await reader.cancel();
  return stats(samples);
}

async function appendOnly(stack) {
  const s = await createSession(stack);
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await appendOne(stack, s.id, `a${i}`);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

export async function run(stack) {
  const base = await appendOnly(stack);
  const lp = await longPoll(stack);
  const ss = await sse(stack);
  const row = (name, st) => ({
    case: name,
    p50_ms: st.p50.toFixed(2),
    p99_ms: st.p99.toFixed(2),
    ratio_p50_to_append_rtt: (st.p50 / base.p50).toFixed(2),
  });
  return {
    name: "longpoll_and_sse_latency",
    rows: [row("append round trip (baseline)", base), row("long-poll wake", lp), row("SSE delivery", ss)],
  };
}

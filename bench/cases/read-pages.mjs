// 4. Reading a page of 100 events at offsets in logs of 1k, 10k and 100k events: flat as the log grows.
import { api, createSession, stats } from "../harness.mjs";

async function fill(stack, sid, total) {
  const batch = Array.from({ length: 500 }, (_, i) => ({ type: "message_streamed", data: { content: `c${i}`, delta: `c${i}` } }));
  let have = 1;
  const inflight = [];
  while (have < total) {
    inflight.push(api(stack, `/v1/sessions/${sid}/events`, { method: "POST", body: JSON.stringify({ events: batch }) }));
    have += batch.length;
    if (inflight.length >= 4) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
}

export async function run(stack) {
  const rows = [];
  let first = null;
  for (const size of [1_000, 10_000, 100_000]) {
    const s = await createSession(stack);
    await fill(stack, s.id, size);
    for (const at of [0, 0.5, 0.99]) {
      const after = Math.floor(size * at);
      const samples = [];
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now();
        const page = await api(stack, `/v1/sessions/${s.id}/events?after=${after}&limit=100`);
        samples.push(performance.now() - t0);
        if (page.events.length === 0) throw new Error("empty page");
      }
      const st = stats(samples.slice(5));
      first ??= st.p50;
      rows.push({
        log_events: size,
        offset: after,
        p50_ms: st.p50.toFixed(2),
        p99_ms: st.p99.toFixed(2),
        vs_1k_start: (st.p50 / first).toFixed(2),
      });
    }
  }
  return { name: "read_page_flatness", rows };
}

// 7. The D1 flush: events/s reaching D1, and the lag between append and D1 visibility under steady load.
//    D1 visibility is observed through the query API (which reads D1 only).
import { api, createSession, stats } from "../harness.mjs";

export async function run(stack) {
  const s = await createSession(stack);
  const total = 5000;
  const batch = Array.from({ length: 50 }, (_, i) => ({ type: "message_streamed", data: { content: `f${i}`, delta: `f${i}` } }));
  const t0 = performance.now();
  const lags = [];
  let appended = 1;
  while (appended < total) {
    const res = await api(stack, `/v1/sessions/${s.id}/events`, { method: "POST", body: JSON.stringify({ events: batch }) });
    appended = res.events.at(-1).sequence;
    if (appended % 1000 < 50) {
      const marker = appended;
      const tA = performance.now();
      for (const giveUp = Date.now() + 30_000; ; ) {
        if (Date.now() > giveUp) throw new Error(`sequence ${marker} never reached D1`);
        const page = await api(
          stack,
          `/v1/query/events?session_id=${s.id}&limit=1000&since=${encodeURIComponent(res.events.at(-1).timestamp)}`,
        );
        if (page.items.some((e) => e.sequence >= marker)) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      lags.push(performance.now() - tA);
    }
  }
  // Wait until D1 holds everything (bounded: a stuck flush must fail the benchmark, not hang it).
  for (const giveUp = Date.now() + 60_000; ; ) {
    if (Date.now() > giveUp) throw new Error("D1 never caught up");
    const h = await api(stack, `/v1/maintenance/health?lag_sessions=1`);
    const mine = h.flush_lag.find((f) => f.session_id === s.id);
    if (mine && mine.lag_events === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - t0) / 1000;
  const st = stats(lags);
  return {
    name: "d1_flush",
    rows: [
      {
        events: appended,
        d1_events_per_s: Math.round(appended / seconds),
        visibility_lag_p50_ms: st.p50.toFixed(1),
        visibility_lag_max_ms: Math.max(...lags).toFixed(1),
      },
    ],
  };
}

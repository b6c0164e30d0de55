// 5. Many sessions appending at once: aggregate throughput with 1, 10, 100 sessions (scale-out across DOs).
import { api, createSession } from "../harness.mjs";

const PER_SESSION_REQUESTS = 30;

export async function run(stack) {
  const rows = [];
  let single = null;
  for (const n of [1, 10, 100]) {
    const sessions = await Promise.all(Array.from({ length: n }, () => createSession(stack)));
    const batch = Array.from({ length: 10 }, (_, i) => ({ type: "message_streamed", data: { content: `x${i}`, delta: `x${i}` } }));
    const t0 = performance.now();
    // At most 16 requests in flight overall, so the client side is the same for every n.
    const jobs = sessions.flatMap((s) => Array.from({ length: Math.ceil(PER_SESSION_REQUESTS / Math.sqrt(n)) }, () => s.id));
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < jobs.length) {
          const sid = jobs[next++];
          await api(stack, `/v1/sessions/${sid}/events`, { method: "POST", body: JSON.stringify({ events: batch }) });
        }
      }),
    );
    const eps = (jobs.length * batch.length) / ((performance.now() - t0) / 1000);
    single ??= eps;
    rows.push({
      sessions: n,
      events: jobs.length * batch.length,
      events_per_s: Math.round(eps),
      vs_one_session: (eps / single).toFixed(2),
    });
  }
  return { name: "scale_out_sessions", rows };
}

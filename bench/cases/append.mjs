// 1. Append throughput, one session, batches of 1/10/100, against a DO that only writes the same rows.
import { api, createSession } from "../harness.mjs";

const EVENTS_PER_CASE = 3000;
const CONCURRENCY = 4;

function batchOf(n, i) {
  return Array.from({ length: n }, (_, j) => ({
    type: "message_streamed",
    data: { content: `chunk ${i}-${j}`, delta: `chunk ${i}-${j}` },
  }));
}

async function drive(send, batch) {
  const requests = Math.ceil(EVENTS_PER_CASE / batch);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) {
        const i = next++;
        await send(batchOf(batch, i));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return (requests * batch) / seconds;
}

export async function run(stack) {
  const rows = [];
  for (const batch of [1, 10, 100]) {
    const s = await createSession(stack);
    const ours = await drive(
      (events) => api(stack, `/v1/sessions/${s.id}/events`, { method: "POST", body: JSON.stringify({ events }) }),
      batch,
    );
    const baselineName = `append-${batch}-${Date.now()}`;
    const base = await drive(async (events) => {
      const res = await fetch(`${stack.url}/baseline/${baselineName}/append`, { method: "POST", body: JSON.stringify({ events }) });
      if (!res.ok) throw new Error(`baseline ${res.status}`);
      await res.arrayBuffer();
    }, batch);
    rows.push({
      case: `append batch=${batch}`,
      asm_events_per_s: Math.round(ours),
      baseline_events_per_s: Math.round(base),
      ratio: +(ours / base).toFixed(2),
    });
  }
  return { name: "append_throughput", rows };
}

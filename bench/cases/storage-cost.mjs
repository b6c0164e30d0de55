// 9. Storage cost: rows written per 1,000 appended events in the session's DO (SqlStorageCursor.rowsWritten) and
// in D1 (meta.rows_written), at batch 1 and batch 100, and what a million events cost at Cloudflare's prices.
import { api, createSession } from "../harness.mjs";
import { costPerMillionEvents } from "../pricing.mjs";

const EVENTS = 1000;
const CONCURRENCY = 4;

async function statsOf(stack, sessionId) {
  const res = await fetch(`${stack.url}/bench-stats/bench/${sessionId}`);
  if (!res.ok) throw new Error(`bench-stats ${res.status} ${await res.text()}`);
  return (await res.json()).storage;
}

async function appendAll(stack, sessionId, batch) {
  const requests = Math.ceil(EVENTS / batch);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) {
        const i = next++;
        const events = Array.from({ length: batch }, (_, j) => ({
          type: "message_streamed",
          data: { content: `c${i}-${j}`, delta: `c${i}-${j}` },
        }));
        await api(stack, `/v1/sessions/${sessionId}/events`, { method: "POST", body: JSON.stringify({ events }) });
      }
    }),
  );
  return { requests, seconds: (performance.now() - started) / 1000 };
}

export async function run(stack) {
  const rows = [];
  for (const batch of [1, 100]) {
    const s = await createSession(stack);
    const before = await statsOf(stack, s.id);
    const { requests, seconds } = await appendAll(stack, s.id, batch);
    const after = await statsOf(stack, s.id);
    const doRows = after.do_rows_written - before.do_rows_written;
    const d1Rows = after.d1_rows_written - before.d1_rows_written;
    const flushes = after.d1_flushes - before.d1_flushes;
    const cost = costPerMillionEvents({ events: EVENTS, requests, flushes, seconds, doRows, d1Rows });
    rows.push({
      case: `batch=${batch}`,
      do_rows_per_1k: doRows,
      d1_rows_per_1k: d1Rows,
      d1_flushes: flushes,
      usd_per_M_events: cost.total.toFixed(2),
      usd_rows: (cost.do_rows_written + cost.d1_rows_written).toFixed(2),
      usd_requests: (cost.workers_requests + cost.do_requests).toFixed(2),
      usd_duration_upper: (cost.workers_cpu_upper_bound + cost.do_duration).toFixed(2),
    });
  }
  return { name: "storage_cost", rows };
}

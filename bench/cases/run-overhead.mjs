// 6. Run overhead for a shell `true`: submit → run_started and tool end → run_completed, against the
//    sandbox's own exec time for the same command (reported in the run's tool_output.duration_ms).
import { api, createSession, stats } from "../harness.mjs";

const RUNS = 30;

export async function run(stack) {
  const s = await createSession(stack);
  const toStart = [],
    toEnd = [],
    execMs = [],
    total = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = Date.now();
    const run = await api(stack, `/v1/sessions/${s.id}/runs`, {
      method: "POST",
      body: JSON.stringify({ provider: "shell", input: "true" }),
    });
    const done = await api(stack, `/v1/sessions/${s.id}/runs/${run.id}/wait?timeout_ms=30000`);
    total.push(Date.now() - t0);
    const { events } = await api(stack, `/v1/sessions/${s.id}/events?run_id=${run.id}&limit=100`);
    const at = (type) => Date.parse(events.find((e) => e.type === type).timestamp);
    toStart.push(at("run_started") - Date.parse(done.queued_at));
    toEnd.push(at("run_completed") - at("tool_call_completed"));
    execMs.push(events.find((e) => e.type === "tool_call_completed").data.tool_output.duration_ms);
  }
  // Streamed output: a command printing 5,000 lines as it goes; events/s and bytes/s of message_streamed.
  const streamRun = await api(stack, `/v1/sessions/${s.id}/runs`, {
    method: "POST",
    body: JSON.stringify({
      provider: "shell",
      input: 'i=0; while [ $i -lt 5000 ]; do echo "line $i of streamed output"; i=$((i+1)); done',
    }),
  });
  await api(stack, `/v1/sessions/${s.id}/runs/${streamRun.id}/wait?timeout_ms=60000`);
  const streamed = [];
  for (let after = 0; ; ) {
    const page = await api(stack, `/v1/sessions/${s.id}/events?run_id=${streamRun.id}&after=${after}&limit=1000`);
    streamed.push(...page.events.filter((e) => e.type === "message_streamed"));
    if (page.next_after === null) break;
    after = page.next_after;
  }
  const spanMs = Math.max(1, Date.parse(streamed.at(-1).timestamp) - Date.parse(streamed[0].timestamp));
  const bytes = streamed.reduce((n, e) => n + String(e.data.delta).length, 0);
  const a = stats(toStart),
    b = stats(toEnd),
    c = stats(execMs),
    d = stats(total);
  return {
    name: "shell_run_overhead",
    rows: [
      { measure: "submit → run_started (ms)", p50: a.p50, p99: a.p99 },
      { measure: "tool end → run_completed (ms)", p50: b.p50, p99: b.p99 },
      { measure: "sandbox exec of `true` (ms)", p50: c.p50, p99: c.p99 },
      { measure: "client submit → wait returns (ms)", p50: d.p50, p99: d.p99 },
      { measure: "ratio total / sandbox exec", p50: (d.p50 / Math.max(c.p50, 0.001)).toFixed(1), p99: "" },
      {
        measure: `streamed output: ${streamed.length} events, ${bytes} bytes`,
        p50: `${Math.round(streamed.length / (spanMs / 1000))} events/s`,
        p99: `${Math.round(bytes / (spanMs / 1000) / 1024)} KiB/s`,
      },
    ],
  };
}

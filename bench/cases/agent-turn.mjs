// Issue 4: the overhead our agent loop adds per model turn, against a fake Messages API that answers at once.
// A 3-turn tool-using run (write_file, bash, text): per turn = (run wall time − tool time in the sandbox) / turns,
// against the fake server's own time for one streamed answer, measured directly.
import { api, createSession, stats } from "../harness.mjs";

const RUNS = 15;

async function fakeAnswerMs(url) {
  const samples = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/messages`, {
      method: "POST",
      body: JSON.stringify({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    await res.text();
    samples.push(performance.now() - t0);
  }
  return stats(samples.slice(5));
}

export async function run(stack, extra) {
  const s = await createSession(stack);
  const perTurn = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await api(stack, `/v1/sessions/${s.id}/runs`, {
      method: "POST",
      body: JSON.stringify({ provider: "anthropic", input: "[tools] go", options: { model: "claude-sonnet-4-6" } }),
    });
    const done = await api(stack, `/v1/sessions/${s.id}/runs/${run.id}/wait?timeout_ms=60000`);
    const { events } = await api(stack, `/v1/sessions/${s.id}/events?run_id=${run.id}&limit=1000`);
    const at = (type) => Date.parse(events.find((e) => e.type === type).timestamp);
    const toolMs = events
      .filter((e) => e.type === "tool_call_started")
      .reduce((sum, start) => {
        const end = events.find((e) => e.type === "tool_call_completed" && e.data.tool_call_id === start.data.tool_call_id);
        return sum + (Date.parse(end.timestamp) - Date.parse(start.timestamp));
      }, 0);
    perTurn.push((at("run_completed") - at("run_started") - toolMs) / done.turn_count);
  }
  const ours = stats(perTurn.slice(3));
  const fake = await fakeAnswerMs(extra.anthropicUrl);
  return {
    name: "agent_turn_overhead",
    rows: [
      { measure: "per model turn inside a run (ms)", p50: ours.p50.toFixed(1), p99: ours.p99.toFixed(1) },
      { measure: "fake API answer, client→server→client (ms)", p50: fake.p50.toFixed(1), p99: fake.p99.toFixed(1) },
      { measure: "our loop's overhead per turn (ms, p50 difference)", p50: (ours.p50 - fake.p50).toFixed(1), p99: "" },
    ],
  };
}

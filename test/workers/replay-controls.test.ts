import { describe, expect, it } from "vitest";
import type { Transcript } from "../../src/core/transcript";
import { api, createSession, json } from "./helpers";
import { completed, rejected } from "./strict-fakes";
import { runEvents, submitRun, untilEvent, untilRun } from "./runs-helpers";

/**
 * `multitask: "interrupt"` through the strict fakes: a run cut off in the middle of a tool round (a call made, its
 * result never produced) stays in the log, and the next run's replay of that log is still a request the real
 * Messages and Responses APIs accept (test/fakes/*-rules.ts refuse what they would refuse).
 */
/** Every tool call the transcript hands a model has exactly one result. */
async function expectOneResultPerCall(sessionId: string): Promise<void> {
  const t = await json<Transcript>(api(`/v1/sessions/${sessionId}/transcript`));
  const calls = t.messages.filter((m) => m.role === "assistant" && m.tool_name).map((m) => m.tool_call_id);
  const results = t.messages.filter((m) => m.role === "tool").map((m) => m.tool_call_id);
  expect([...results].sort()).toEqual([...calls].sort());
}

async function expectInterrupted(sessionId: string, runId: string): Promise<void> {
  const run = await untilRun(sessionId, runId, (r) => r.status === "cancelled", 30_000);
  expect(run.status).toBe("cancelled");
  const end = (await runEvents(sessionId, runId)).find((e) => e.type === "run_cancelled");
  expect(end?.data.reason).toBe("interrupted");
}

// Bash needs a person's approval: a model run stops with its bash call made and no result yet.
const gate = { name: "gate", tool_rules: [{ deny: ["Bash"] }], on_violation: "request_approval" };
const other = { anthropic: "openai", openai: "anthropic" } as const;

describe("interrupt, then replay through the strict fakes", () => {
  for (const provider of ["anthropic", "openai"] as const) {
    it(`${provider}: a run interrupted mid tool round, then replayed to both providers without a refused request`, async () => {
      const marker = `interrupt-${provider}-${crypto.randomUUID()}`;
      const s = await createSession();
      const cut = await submitRun(s.id, { provider, input: `[tools] ${marker}`, policy: gate, continuation: "replay" });
      await untilEvent(s.id, cut.id, "tool_approval_requested", 30_000);
      // Takes over with the cut-off run's tool call (write_file done, bash pending) in the log it replays.
      await completed(s.id, { provider, input: `[tools] take over ${marker}`, continuation: "replay", multitask: "interrupt" });
      await expectInterrupted(s.id, cut.id);
      const cutCalls = (await runEvents(s.id, cut.id)).filter((e) => e.type === "tool_approval_requested").map((e) => e.data.tool_call_id);
      const t = await json<Transcript>(api(`/v1/sessions/${s.id}/transcript`));
      // The call waiting for approval got one result, the refusal the cancel produced, not the pause placeholder.
      const cutResults = t.messages.filter((m) => m.role === "tool" && cutCalls.includes(m.tool_call_id));
      expect(cutResults.map((m) => m.tool_output)).toEqual(cutCalls.map(() => "Run cancelled"));
      await completed(s.id, { provider: other[provider], input: `what happened? ${marker}`, continuation: "replay" });
      await completed(s.id, { provider, input: `and now? ${marker}`, continuation: "replay" });
      expect(await rejected(marker)).toEqual([]);
      await expectOneResultPerCall(s.id);
    }, 120_000);
  }

  it("a shell command interrupted while it runs, then replayed to Claude and OpenAI", async () => {
    const marker = `interrupt-shell-${crypto.randomUUID()}`;
    const s = await createSession();
    const cut = await submitRun(s.id, { provider: "shell", input: `echo ${marker} && sleep 60` });
    // The command has started (its call is in the log) and is still running.
    await untilEvent(s.id, cut.id, "tool_call_started", 30_000);
    await completed(s.id, { provider: "anthropic", input: `[tools] ${marker}`, continuation: "replay", multitask: "interrupt" });
    await expectInterrupted(s.id, cut.id);
    await completed(s.id, { provider: "openai", input: `[tools] ${marker}`, continuation: "replay" });
    expect(await rejected(marker)).toEqual([]);
    // The log never got a result for the killed command: the transcript shows the call as it was, and replay
    // answers it with "[no result recorded]" (src/providers/replay.ts), which is what the fakes accepted above.
    const t = await json<Transcript>(api(`/v1/sessions/${s.id}/transcript`));
    const answered = new Set(t.messages.filter((m) => m.role === "tool").map((m) => m.tool_call_id));
    const unanswered = t.messages
      .filter((m) => m.role === "assistant" && m.tool_name && !answered.has(m.tool_call_id))
      .map((m) => m.tool_call_id);
    const cutCalls = (await runEvents(s.id, cut.id)).filter((e) => e.type === "tool_call_started").map((e) => e.data.tool_call_id);
    expect(unanswered).toEqual(cutCalls);
  }, 120_000);
});

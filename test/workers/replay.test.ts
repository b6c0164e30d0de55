import { describe, expect, inject, it } from "vitest";
import type { Transcript } from "../../src/core/transcript";
import { api, createSession, json } from "./helpers";
import { submitRun, untilEvent, waitRun } from "./runs-helpers";

/**
 * Replay continuation through the strict fakes: whatever the session's log holds (tool rounds of either provider,
 * shell commands, approvals granted or denied), what we send is a request the real Messages and Responses APIs accept.
 */
const fakes = [inject("anthropicUrl"), new URL(inject("openaiUrl")).origin];

/** The requests either fake refused that carry this test's marker. */
async function rejected(marker: string): Promise<string[]> {
  const logs = await Promise.all(
    fakes.map(
      async (url) => (await (await fetch(`${url}/_fake/rejections?contains=${marker}`)).json()) as { rejections: { message: string }[] },
    ),
  );
  return logs.flatMap((l) => l.rejections.map((r) => r.message));
}

async function completed(sessionId: string, body: Record<string, unknown>) {
  const run = await waitRun(sessionId, (await submitRun(sessionId, body)).id);
  expect(run.status, JSON.stringify(run.error)).toBe("completed");
  return run;
}

/** Every tool call in the transcript has exactly one result, and no placeholder is left for a decided call. */
async function expectOneResultPerCall(sessionId: string): Promise<void> {
  const t = await json<Transcript>(api(`/v1/sessions/${sessionId}/transcript`));
  const calls = t.messages.filter((m) => m.role === "assistant" && m.tool_name).map((m) => m.tool_call_id);
  const results = t.messages.filter((m) => m.role === "tool").map((m) => m.tool_call_id);
  expect(calls.length).toBeGreaterThan(0);
  expect([...results].sort()).toEqual([...calls].sort());
  expect(
    t.messages.some((m) => m.role === "tool" && typeof m.tool_output === "string" && m.tool_output.includes("awaiting human approval")),
  ).toBe(false);
}

const gate = { name: "gate", tool_rules: [{ deny: ["Bash"] }], on_violation: "request_approval" };

describe("replay continuation through the strict fakes", () => {
  it("carries tool rounds across runs and providers (Claude, OpenAI, shell) without a refused request", async () => {
    const marker = `replay-${crypto.randomUUID()}`;
    const s = await createSession();
    await completed(s.id, { provider: "anthropic", input: `[tools] ${marker}` });
    await completed(s.id, { provider: "openai", input: `[tools] ${marker}`, continuation: "replay" });
    await completed(s.id, { provider: "shell", input: `echo ${marker}` });
    await completed(s.id, { provider: "anthropic", input: `[tools] again ${marker}`, continuation: "replay" });
    await completed(s.id, {
      provider: "openai",
      input: `and now? ${marker}`,
      continuation: "replay",
      continuation_opts: { max_messages: 3 },
    });
    await completed(s.id, {
      provider: "anthropic",
      input: `and now? ${marker}`,
      continuation: "replay",
      continuation_opts: { max_messages: 4 },
    });
    expect(await rejected(marker)).toEqual([]);
    await expectOneResultPerCall(s.id);
  });

  for (const decision of ["grant", "deny"] as const) {
    it(`continues after an approval (${decision}) with one result per call`, async () => {
      const marker = `approval-${decision}-${crypto.randomUUID()}`;
      const s = await createSession();
      for (const provider of ["anthropic", "shell"]) {
        const run = await submitRun(s.id, {
          provider,
          input: provider === "shell" ? `echo ${marker}` : `[tools] ${marker}`,
          policy: gate,
          continuation: "replay",
        });
        const asked = await untilEvent(s.id, run.id, "tool_approval_requested");
        const res = await api(`/v1/sessions/${s.id}/runs/${run.id}/approvals/${asked.data.tool_call_id as string}`, {
          method: "POST",
          json: { decision },
        });
        expect(res.status).toBe(200);
        await waitRun(s.id, run.id);
      }
      await completed(s.id, { provider: "anthropic", input: `what happened? ${marker}`, continuation: "replay" });
      await completed(s.id, { provider: "openai", input: `[tools] ${marker}`, continuation: "replay" });
      expect(await rejected(marker)).toEqual([]);
      await expectOneResultPerCall(s.id);
    });
  }
});

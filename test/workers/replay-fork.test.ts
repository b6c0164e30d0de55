import { describe, expect, inject, it } from "vitest";
import type { Run } from "../../src/core/run";
import type { ForkResult } from "../../src/core/session-fork";
import type { Transcript } from "../../src/core/transcript";
import { api, createSession, json } from "./helpers";
import { runEvents, submitRun, waitRun } from "./runs-helpers";

/**
 * Fork through the strict fakes: a fork cut in the middle of a tool round (a call made, its result after the cut)
 * holds a log whose replay must still be a request the real Messages and Responses APIs accept
 * (test/fakes/*-rules.ts refuse what they would refuse), with one result per call.
 */
const fakes = [inject("anthropicUrl"), new URL(inject("openaiUrl")).origin];

async function rejected(marker: string): Promise<string[]> {
  const logs = await Promise.all(
    fakes.map(
      async (url) => (await (await fetch(`${url}/_fake/rejections?contains=${marker}`)).json()) as { rejections: { message: string }[] },
    ),
  );
  return logs.flatMap((l) => l.rejections.map((r) => r.message));
}

async function completed(sessionId: string, body: Record<string, unknown>): Promise<Run> {
  const run = await waitRun(sessionId, (await submitRun(sessionId, body)).id, 60_000);
  expect(run.status, JSON.stringify(run.error)).toBe("completed");
  return run;
}

async function fork(sessionId: string, atSequence: number): Promise<ForkResult> {
  const res = await api(`/v1/sessions/${sessionId}/fork`, { method: "POST", json: { at_sequence: atSequence } });
  expect(res.status).toBe(201);
  return (await res.json()) as ForkResult;
}

describe("fork, then replay through the strict fakes", () => {
  for (const provider of ["anthropic", "openai"] as const) {
    it(`${provider}: a fork cut between a tool call and its result replays to both providers without a refused request`, async () => {
      const marker = `fork-${provider}-${crypto.randomUUID()}`;
      const source = await createSession();
      const first = await completed(source.id, { provider, input: `[tools] ${marker}`, continuation: "replay" });
      const events = await runEvents(source.id, first.id);
      const call = events.find((e) => e.type === "tool_call_started");
      const result = events.find((e) => e.type === "tool_call_completed" && e.data.tool_call_id === call?.data.tool_call_id);
      expect(call && result, "the [tools] run made a call and finished it").toBeTruthy();
      // The cut: the call is in the fork, its result is not.
      const f = await fork(source.id, call!.sequence);
      expect(f.session.last_sequence).toBe(call!.sequence);

      const t = await json<Transcript>(api(`/v1/sessions/${f.session.id}/transcript`));
      const calls = t.messages.filter((m) => m.role === "assistant" && m.tool_name).map((m) => m.tool_call_id);
      expect(calls).toContain(call!.data.tool_call_id);

      await completed(f.session.id, { provider, input: `continue ${marker}`, continuation: "replay" });
      await completed(f.session.id, {
        provider: provider === "anthropic" ? "openai" : "anthropic",
        input: `and you? ${marker}`,
        continuation: "replay",
      });
      expect(await rejected(marker)).toEqual([]);
    }, 120_000);
  }
});

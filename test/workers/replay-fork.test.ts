import { describe, expect, it } from "vitest";
import type { ForkResult } from "../../src/core/session-fork";
import type { Transcript } from "../../src/core/transcript";
import { api, createSession, json } from "./helpers";
import { completed, rejected } from "./strict-fakes";
import { runEvents } from "./runs-helpers";

/**
 * Fork through the strict fakes: a fork cut in the middle of a tool round (a call made, its result after the cut)
 * holds a log whose replay must still be a request the real Messages and Responses APIs accept
 * (test/fakes/*-rules.ts refuse what they would refuse), with one result per call.
 */
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

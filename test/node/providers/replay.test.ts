import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toMessages } from "../../../src/providers/anthropic";
import { toInputItems } from "../../../src/providers/openai";
import { NO_RESULT, replaySteps, type ReplayStep } from "../../../src/providers/replay";
import type { TranscriptMessage } from "../../../src/core/transcript";
import { messagesRequestError } from "../../fakes/anthropic-rules";
import { responsesRequestError } from "../../fakes/openai-rules";

const call = (id: string, name = "bash"): TranscriptMessage => ({
  role: "assistant",
  content: null,
  tool_call_id: id,
  tool_name: name,
  tool_input: { command: "ls" },
});
const result = (id: string, output: unknown = "ok"): TranscriptMessage => ({
  role: "tool",
  content: null,
  tool_call_id: id,
  tool_name: "bash",
  tool_output: output,
});
const say = (role: "user" | "assistant" | "system", content: string): TranscriptMessage => ({ role, content });
const prompt: ReplayStep = { kind: "text", role: "user", text: "next" };

/** What both strict fakes say about the replay of `transcript` followed by a new prompt (null: accepted). */
function verdicts(transcript: TranscriptMessage[]) {
  const steps = [...replaySteps(transcript), prompt];
  return {
    anthropic: messagesRequestError({ max_tokens: 1024, messages: toMessages(steps) as never }),
    openai: responsesRequestError({ input: toInputItems(steps) }, new Map()),
  };
}

describe("replay continuation", () => {
  it("sends tool calls and results as the APIs' own blocks, paired", () => {
    const steps = replaySteps([say("user", "go"), call("t1"), result("t1", { exit: 0 }), say("assistant", "done")]);
    expect(toMessages([...steps, prompt])).toEqual([
      { role: "user", content: [{ type: "text", text: "go" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "bash", input: { command: "ls" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: '{"exit":0}' }] },
      { role: "assistant", content: [{ type: "text", text: "done" }] },
      { role: "user", content: [{ type: "text", text: "next" }] },
    ]);
    expect(toInputItems(steps).map((i) => ("call_id" in i ? i.type : "role" in i ? i.role : null))).toEqual([
      "user",
      "function_call",
      "function_call_output",
      "assistant",
    ]);
  });

  it("answers a call whose result was never logged, keeps an orphan result as text, and renames repeated ids", () => {
    const steps = replaySteps([call("a"), say("user", "meanwhile"), result("a"), call("b"), result("b"), call("b"), result("b")]);
    expect(steps).toEqual([
      { kind: "call", id: "a", name: "bash", input: { command: "ls" } },
      { kind: "result", id: "a", output: NO_RESULT, is_error: true },
      { kind: "text", role: "user", text: "meanwhile" },
      { kind: "text", role: "user", text: "[tool bash result] ok" },
      { kind: "call", id: "b", name: "bash", input: { command: "ls" } },
      { kind: "result", id: "b", output: "ok", is_error: false },
      { kind: "call", id: "b_2", name: "bash", input: { command: "ls" } },
      { kind: "result", id: "b_2", output: "ok", is_error: false },
    ]);
  });

  it("starts with a user turn when truncation left an assistant message first", () => {
    expect(toMessages([...replaySteps([say("assistant", "hi")]), prompt])[0]).toEqual({
      role: "user",
      content: [{ type: "text", text: "[earlier conversation]" }],
    });
  });

  it("is accepted by both strict fakes whatever the transcript holds", () => {
    const id = fc.constantFrom("t1", "t2", "t3", null);
    const message = fc.oneof(
      fc.record({
        role: fc.constantFrom("user", "assistant", "system"),
        content: fc.constantFrom("", "x", "hello"),
      }) as fc.Arbitrary<TranscriptMessage>,
      id.map((i): TranscriptMessage => ({ role: "assistant", content: null, tool_call_id: i, tool_name: "bash", tool_input: {} })),
      id.map((i): TranscriptMessage => ({ role: "tool", content: null, tool_call_id: i, tool_name: "bash", tool_output: "out" })),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), (transcript) => {
        expect(verdicts(transcript)).toEqual({ anthropic: null, openai: null });
      }),
      { numRuns: 500 },
    );
  });
});

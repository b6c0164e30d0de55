import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventSchema, type Event } from "../../src/core/event";
import type { EventType } from "../../src/core/event-types";
import type { JsonObject } from "../../src/core/json";
import {
  APPROVAL_PLACEHOLDER,
  ContinuationModeSchema,
  ContinuationOptsSchema,
  buildTranscript,
  messageChars,
  truncateTranscript,
  updateTranscript,
  type Transcript,
} from "../../src/core/transcript";
import type { TranscriptMessage } from "../../src/core/transcript";

const SID = "ses_0123456789abcdef0123456789abcdef";

function ev(sequence: number, type: EventType, data: JsonObject = {}): Event {
  return EventSchema.parse({
    id: `evt_${sequence.toString(16).padStart(32, "0")}`,
    session_id: SID,
    run_id: "run_1",
    sequence,
    type,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
    provider: "anthropic",
    correlation_id: null,
    schema_version: 1,
    origin: "service",
    data,
    metadata: {},
  });
}

const messagesOf = (events: Event[]) => buildTranscript(events, SID).messages;

describe("buildTranscript", () => {
  it("is empty for no events", () => {
    expect(buildTranscript([], SID)).toEqual({
      session_id: SID,
      messages: [],
      last_sequence: null,
      last_timestamp: null,
      metadata: { open_stream: null },
    });
  });

  it("orders by sequence, not by input order, and records the last sequence and timestamp", () => {
    const events = [
      ev(3, "message_received", { role: "assistant", content: "hi" }),
      ev(1, "message_sent", { role: "user", content: "hello" }),
    ];
    const t = buildTranscript(events, SID);
    expect(t.messages).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "hi" },
    ]);
    expect(t.last_sequence).toBe(3);
    expect(t.last_timestamp).toBe(events[0]!.timestamp);
  });

  it("collapses streamed chunks into the one assistant message that closes them", () => {
    expect(
      messagesOf([
        ev(1, "message_sent", { content: "count" }),
        ev(2, "message_streamed", { delta: "one " }),
        ev(3, "message_streamed", { content: "two " }),
        ev(4, "message_streamed", { delta: "" }),
        ev(5, "message_streamed", { delta: "three" }),
        ev(6, "message_received", { role: "assistant", content: "one two three" }),
      ]),
    ).toEqual([
      { role: "user", content: "count" },
      { role: "assistant", content: "one two three" },
    ]);
  });

  it("uses the buffered chunks when the closing message is empty", () => {
    expect(
      messagesOf([
        ev(1, "message_streamed", { delta: "ab" }),
        ev(2, "message_streamed", { delta: "c" }),
        ev(3, "message_received", { role: "assistant", content: "" }),
      ]),
    ).toEqual([{ role: "assistant", content: "abc" }]);
  });

  it("prefers delta over content in a chunk", () => {
    expect(messagesOf([ev(1, "message_streamed", { delta: "d", content: "c" })])).toEqual([{ role: "assistant", content: "d" }]);
  });

  it("flushes a pending buffer before a user message and at the end", () => {
    expect(
      messagesOf([
        ev(1, "message_streamed", { delta: "partial" }),
        ev(2, "message_sent", { content: "stop" }),
        ev(3, "message_streamed", { delta: "tail" }),
      ]),
    ).toEqual([
      { role: "assistant", content: "partial" },
      { role: "user", content: "stop" },
      { role: "assistant", content: "tail" },
    ]);
  });

  it("flushes the buffer before a message_received of another role", () => {
    expect(messagesOf([ev(1, "message_streamed", { delta: "x" }), ev(2, "message_received", { role: "system", content: "note" })])).toEqual(
      [
        { role: "assistant", content: "x" },
        { role: "system", content: "note" },
      ],
    );
  });

  it("lower-cases roles; message_sent defaults to user and message_received to assistant", () => {
    expect(
      messagesOf([
        ev(1, "message_sent", { role: "SYSTEM", content: "be brief" }),
        ev(2, "message_sent", { content: "q" }),
        ev(3, "message_received", { role: "Assistant", content: "a" }),
        ev(4, "message_received", { content: "b" }),
        ev(5, "message_sent", { role: "wizard", content: "c" }),
      ]).map((m) => m.role),
    ).toEqual(["system", "user", "assistant", "assistant", "user"]);
  });

  it("skips messages with empty or missing content", () => {
    expect(
      messagesOf([
        ev(1, "message_sent", { content: "" }),
        ev(2, "message_received", { role: "assistant" }),
        ev(3, "message_sent", { content: 42 }),
      ]),
    ).toEqual([]);
  });

  it("reads text blocks from array content", () => {
    expect(messagesOf([ev(1, "message_sent", { content: [{ type: "text", text: "a" }, { type: "image" }, "b"] })])).toEqual([
      { role: "user", content: "ab" },
    ]);
  });

  it("turns tool calls into an assistant call and a paired tool result", () => {
    expect(
      messagesOf([
        ev(1, "tool_call_started", { tool_call_id: "t1", tool_name: "bash", tool_input: { command: "ls" } }),
        ev(2, "tool_call_started", { tool_call_id: "t2", tool_name: "read", tool_input: "not a map" }),
        ev(3, "tool_call_completed", { tool_call_id: "t2", tool_output: "file text" }),
        ev(4, "tool_call_failed", { tool_call_id: "t1", tool_name: "bash", tool_output: null, error: "exit 2" }),
      ]),
    ).toEqual([
      { role: "assistant", content: null, tool_call_id: "t1", tool_name: "bash", tool_input: { command: "ls" } },
      { role: "assistant", content: null, tool_call_id: "t2", tool_name: "read", tool_input: null },
      { role: "tool", content: null, tool_call_id: "t2", tool_name: "read", tool_output: "file text" },
      { role: "tool", content: null, tool_call_id: "t1", tool_name: "bash", tool_output: "exit 2" },
    ]);
  });

  it("adds the approval placeholder as a tool message", () => {
    expect(
      messagesOf([
        ev(1, "tool_call_started", { tool_call_id: "t1", tool_name: "bash", tool_input: {} }),
        ev(2, "tool_approval_requested", { tool_call_id: "t1", tool_name: "bash", policy_name: "p" }),
      ])[1],
    ).toEqual({ role: "tool", content: null, tool_call_id: "t1", tool_name: "bash", tool_output: APPROVAL_PLACEHOLDER });
  });

  it("keeps one result per call after an approval: the decision's result replaces the placeholder", () => {
    const call = ev(1, "tool_call_started", { tool_call_id: "t1", tool_name: "bash", tool_input: { command: "ls" } });
    const asked = ev(2, "tool_approval_requested", { tool_call_id: "t1", tool_name: "bash", policy_name: "p" });
    const granted = [
      call,
      asked,
      ev(3, "tool_approval_granted", { tool_call_id: "t1", tool_name: "bash" }),
      ev(4, "tool_call_completed", { tool_call_id: "t1", tool_name: "bash", tool_output: "a.txt" }),
    ];
    expect(messagesOf(granted).filter((m) => m.role === "tool")).toEqual([
      { role: "tool", content: null, tool_call_id: "t1", tool_name: "bash", tool_output: "a.txt" },
    ]);
    const denied = [
      call,
      asked,
      ev(3, "tool_approval_denied", { tool_call_id: "t1", tool_name: "bash" }),
      ev(4, "tool_call_failed", { tool_call_id: "t1", tool_name: "bash", tool_output: null, error: "Denied by a person" }),
    ];
    expect(
      messagesOf(denied)
        .filter((m) => m.role === "tool")
        .map((m) => m.tool_output),
    ).toEqual(["Denied by a person"]);
    // Split across updates (the transcript cache), the result still takes the placeholder's place.
    const split = updateTranscript(buildTranscript([call, asked], SID), granted);
    expect(split.messages).toEqual(messagesOf(granted));
  });

  it("ignores every other event type and leaves the buffer open across them", () => {
    expect(
      messagesOf([
        ev(1, "run_started"),
        ev(2, "message_streamed", { delta: "a" }),
        ev(3, "token_usage_updated", { input_tokens: 1 }),
        ev(4, "message_streamed", { delta: "b" }),
        ev(5, "tool_approval_granted", { tool_name: "x" }),
        ev(6, "run_completed", { stop_reason: "end_turn" }),
      ]),
    ).toEqual([{ role: "assistant", content: "ab" }]);
  });
});

describe("updateTranscript", () => {
  it("applies only events newer than last_sequence", () => {
    const t = buildTranscript([ev(1, "message_sent", { content: "a" })], SID);
    const u = updateTranscript(t, [ev(1, "message_sent", { content: "a" }), ev(2, "message_sent", { content: "b" })]);
    expect(u.messages.map((m) => m.content)).toEqual(["a", "b"]);
    expect(updateTranscript(u, [ev(2, "message_sent", { content: "b" })])).toBe(u);
  });

  it("keeps collapsing a stream that an earlier build left open", () => {
    const t = buildTranscript([ev(1, "message_streamed", { delta: "he" })], SID);
    expect(t.messages).toEqual([{ role: "assistant", content: "he" }]);
    expect(t.metadata.open_stream).toBe("he");
    const u = updateTranscript(t, [
      ev(2, "message_streamed", { delta: "llo" }),
      ev(3, "message_received", { role: "assistant", content: "" }),
    ]);
    expect(u.messages).toEqual([{ role: "assistant", content: "hello" }]);
    expect(u.metadata.open_stream).toBeNull();
  });

  it("names a tool result from a call seen in an earlier update", () => {
    const t = buildTranscript([ev(1, "tool_call_started", { tool_call_id: "t1", tool_name: "grep", tool_input: {} })], SID);
    expect(updateTranscript(t, [ev(2, "tool_call_completed", { tool_call_id: "t1", tool_output: 1 })]).messages[1]).toMatchObject({
      role: "tool",
      tool_name: "grep",
    });
  });

  const ids = fc.constantFrom("t1", "t2", "t3");
  const text = fc.constantFrom("", "a", "bc", "hello ");
  const step = fc.oneof(
    fc.record({
      type: fc.constant<EventType>("message_streamed"),
      data: fc.oneof(fc.record({ delta: text }), fc.record({ content: text })),
    }),
    fc.record({
      type: fc.constant<EventType>("message_received"),
      data: fc.record({ role: fc.constantFrom("assistant", "ASSISTANT", "user", "system", "tool"), content: text }),
    }),
    fc.record({
      type: fc.constant<EventType>("message_sent"),
      data: fc.record({ role: fc.constantFrom("user", "system"), content: text }, { requiredKeys: ["content"] }),
    }),
    fc.record({
      type: fc.constant<EventType>("tool_call_started"),
      data: fc.record({ tool_call_id: ids, tool_name: fc.constantFrom("bash", "read"), tool_input: fc.constant({ x: 1 }) }),
    }),
    fc.record({
      type: fc.constantFrom<EventType>("tool_call_completed", "tool_call_failed"),
      data: fc.record({ tool_call_id: ids, tool_output: text }, { requiredKeys: ["tool_call_id"] }),
    }),
    fc.record({
      type: fc.constant<EventType>("tool_approval_requested"),
      data: fc.record({ tool_call_id: ids, tool_name: fc.constant("bash") }),
    }),
    fc.record({ type: fc.constantFrom<EventType>("run_started", "token_usage_updated", "run_completed"), data: fc.constant({}) }),
  );

  it("equals a full rebuild however the log is split and ordered", () => {
    const scenario = fc.array(step, { maxLength: 40 }).chain((steps) => {
      const events = steps.map((s, i) => ev(i + 1, s.type, s.data as JsonObject));
      return fc.tuple(
        fc.constant(events),
        fc.uniqueArray(fc.integer({ min: 0, max: events.length }), { maxLength: 4 }).map((cuts) => [...cuts].sort((a, b) => a - b)),
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
      );
    });
    fc.assert(
      fc.property(scenario, ([events, cuts, shuffled]) => {
        const full = buildTranscript(shuffled, SID);
        let incremental: Transcript = buildTranscript([], SID);
        for (const cut of [...cuts, events.length]) {
          // Each update is handed everything up to the cut, old events included, in shuffled order.
          incremental = updateTranscript(
            incremental,
            shuffled.filter((e) => e.sequence <= cut),
          );
        }
        expect(incremental).toEqual(full);
        expect(full.messages).toEqual(buildTranscript(events, SID).messages);
      }),
      { numRuns: 300 },
    );
  });
});

describe("truncateTranscript", () => {
  const m = (content: string | null, tool_name: string | null = null): TranscriptMessage => ({
    role: content === null ? "tool" : "user",
    content,
    tool_name,
  });
  const msgs = [m("aaaa"), m("bb"), m(null, "bash"), m("c"), m("dddddd")];

  it("keeps everything without bounds, as a copy", () => {
    const out = truncateTranscript(msgs, {});
    expect(out).toEqual(msgs);
    expect(out).not.toBe(msgs);
  });

  it("counts content, or the tool name when there is no content", () => {
    expect(msgs.map(messageChars)).toEqual([4, 2, 4, 1, 6]);
    expect(messageChars({ role: "tool", content: null })).toBe(0);
  });

  it("max_messages keeps the last N", () => {
    expect(truncateTranscript(msgs, { max_messages: 2 })).toEqual(msgs.slice(3));
    expect(truncateTranscript(msgs, { max_messages: 0 })).toEqual([]);
    expect(truncateTranscript(msgs, { max_messages: 99 })).toEqual(msgs);
  });

  it("max_chars keeps the longest suffix that fits and stops at the first that does not", () => {
    expect(truncateTranscript(msgs, { max_chars: 11 })).toEqual(msgs.slice(2)); // 6 + 1 + 4 = 11
    expect(truncateTranscript(msgs, { max_chars: 10 })).toEqual(msgs.slice(3)); // the 4-char tool call does not fit; "bb" after it is not taken either
    expect(truncateTranscript(msgs, { max_chars: 5 })).toEqual([]);
  });

  it("max_tokens_approx is a budget of 4 characters per token", () => {
    expect(truncateTranscript(msgs, { max_tokens_approx: 2 })).toEqual(msgs.slice(3)); // 8 chars
    expect(truncateTranscript(msgs, { max_tokens_approx: 3 })).toEqual(msgs.slice(2)); // 12 chars
  });

  it("uses the lower of max_chars and max_tokens_approx × 4", () => {
    expect(truncateTranscript(msgs, { max_chars: 100, max_tokens_approx: 2 })).toEqual(msgs.slice(3));
    expect(truncateTranscript(msgs, { max_chars: 7, max_tokens_approx: 100 })).toEqual(msgs.slice(3));
  });

  it("applies max_messages first, then the budget", () => {
    expect(truncateTranscript(msgs, { max_messages: 4, max_chars: 100 })).toEqual(msgs.slice(1));
    expect(truncateTranscript(msgs, { max_messages: 1, max_chars: 7 })).toEqual(msgs.slice(4));
  });

  it("always returns a contiguous suffix within every bound", () => {
    const message = fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => m(s)),
      fc.string({ maxLength: 6 }).map((n) => m(null, n)),
    );
    const opt = fc.option(fc.nat(60), { nil: undefined });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), opt, opt, opt, (list, max_messages, max_chars, max_tokens_approx) => {
        const out = truncateTranscript(list, { max_messages, max_chars, max_tokens_approx });
        expect(out).toEqual(list.slice(list.length - out.length));
        if (max_messages !== undefined) expect(out.length).toBeLessThanOrEqual(max_messages);
        const chars = out.reduce((n, x) => n + messageChars(x), 0);
        if (max_chars !== undefined) expect(chars).toBeLessThanOrEqual(max_chars);
        if (max_tokens_approx !== undefined) expect(chars).toBeLessThanOrEqual(max_tokens_approx * 4);
      }),
    );
  });
});

describe("continuation schemas", () => {
  it("accepts the modes and false", () => {
    for (const mode of ["auto", "replay", "native", false] as const) expect(ContinuationModeSchema.parse(mode)).toBe(mode);
  });

  it("rejects true with a message that says what to use instead", () => {
    const result = ContinuationModeSchema.safeParse(true);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/true is not accepted.*"auto", "replay" or "native"/);
  });

  it.each([["yes"], [1], [null], ["REPLAY"]])("rejects %j", (value) => {
    const result = ContinuationModeSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain("continuation must be");
  });

  it("parses continuation_opts and rejects unknown keys and negative bounds", () => {
    expect(ContinuationOptsSchema.parse({ max_messages: 10, max_chars: 2000, max_tokens_approx: 500, run_id: "run_1" })).toEqual({
      max_messages: 10,
      max_chars: 2000,
      max_tokens_approx: 500,
      run_id: "run_1",
    });
    expect(ContinuationOptsSchema.safeParse({ max_mesages: 10 }).success).toBe(false);
    expect(ContinuationOptsSchema.safeParse({ max_chars: -1 }).success).toBe(false);
    expect(ContinuationOptsSchema.safeParse({ max_tokens_approx: 1.5 }).success).toBe(false);
  });
});

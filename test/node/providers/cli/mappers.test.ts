import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAmpMapper } from "../../../../src/providers/cli/amp";
import { createClaudeMapper } from "../../../../src/providers/cli/claude-code";
import { createCodexMapper } from "../../../../src/providers/cli/codex";
import { AMP_ARGS, CLAUDE_ARGS, CLAUDE_ARGS_NO_PARTIAL, CODEX_ARGS, lastOfType, mapStdout, ofType, recorded, types } from "./helpers";

const claudeSuccess = recorded("claude", "success", CLAUDE_ARGS).stdout;

describe("Claude Code stream mapper", () => {
  it("maps a multi-turn tool-use run in stream order, text segments closed before each tool call", () => {
    const { events } = mapStdout(createClaudeMapper(null), claudeSuccess);
    expect(types(events)).toEqual([
      "run_started",
      "message_streamed",
      "message_streamed",
      "token_usage_updated",
      "message_received",
      "tool_call_started",
      "tool_call_failed",
      "message_streamed",
      "token_usage_updated",
      "message_received",
      "tool_call_started",
      "tool_call_completed",
      "tool_call_started",
      "token_usage_updated",
      "tool_call_completed",
      "message_streamed",
      "token_usage_updated",
      "message_received",
      "token_usage_updated",
      "turn_completed",
    ]);
    expect(events[0]!.data).toEqual({
      provider: "claude-code",
      model: "claude-sonnet-4-5-20250929",
      provider_session_id: "7d1c5e0a-3f2b-4e8d-9a61-2c4b8f0e5d93",
      cwd: "/workspace",
      permission_mode: "acceptEdits",
    });
    const [bash, edit, mcp] = ofType(events, "tool_call_started").map((e) => e.data!);
    expect(bash).toMatchObject({
      tool_call_id: "toolu_01Vb7kRm3QwXy9Zt2Lp8Nd4S",
      tool_name: "bash",
      provider_tool_name: "Bash",
      tool_input: { command: "npm test" },
    });
    expect(edit).toMatchObject({
      tool_name: "edit_file",
      tool_input: { file_path: "/workspace/src/add.js", path: "/workspace/src/add.js" },
    });
    expect(mcp).toMatchObject({ tool_name: "mcp__github__create_issue", tool_input: { repo: "acme/calc" } });
    expect(mcp).not.toHaveProperty("provider_tool_name");
    expect(ofType(events, "tool_call_failed")[0]!.data).toMatchObject({
      tool_call_id: bash!.tool_call_id,
      tool_name: "bash",
      tool_input: { command: "npm test" },
      tool_output: expect.stringContaining("expected 3, received 4"),
      error: expect.stringContaining("FAIL"),
    });
    expect(ofType(events, "tool_call_completed")[0]!.data).toMatchObject({
      tool_name: "edit_file",
      tool_output: "The file /workspace/src/add.js has been updated.",
    });
    expect(ofType(events, "message_received").map((e) => e.data!.content)).toEqual([
      "I'll run the tests first.",
      "The add function has an off-by-one. Fixing it.",
      "Fixed the off-by-one in add(); all 12 tests pass now.",
    ]);
  });

  it("dedupes per-message usage, then takes the result's totals; reports session, turns and cost", () => {
    const { events, summary } = mapStdout(createClaudeMapper(null), claudeSuccess);
    const usage = ofType(events, "token_usage_updated").map((e) => e.data);
    // Message 1 repeats its usage on its text and tool_use lines: counted once (4 input), not twice.
    expect(usage[0]).toEqual({
      input_tokens: 4,
      output_tokens: 2,
      cache_read_tokens: 12410,
      cache_creation_tokens: 1850,
      total_tokens: 14266,
    });
    expect(usage[1]!.input_tokens).toBe(10);
    expect(usage.at(-1)).toEqual({
      input_tokens: 18,
      output_tokens: 412,
      cache_read_tokens: 55730,
      cache_creation_tokens: 2275,
      total_tokens: 58435,
    });
    expect(summary).toMatchObject({
      provider_session_id: "7d1c5e0a-3f2b-4e8d-9a61-2c4b8f0e5d93",
      model: "claude-sonnet-4-5-20250929",
      cost_usd: 0.0421765,
      turn_count: 4,
      stop_reason: "end_turn",
      failure: null,
      terminal: true,
      final_text: "Fixed the off-by-one in add(); all 12 tests pass now.",
      usage: { input: 18, output: 412, cache_read: 55730, cache_creation: 2275, total: 58435 },
    });
    expect(lastOfType(events, "turn_completed")!.data).toMatchObject({ turn_count: 4, total_cost_usd: 0.0421765 });
  });

  it("streams the same text once whether or not partial messages are on", () => {
    const partial = mapStdout(createClaudeMapper(null), claudeSuccess).events;
    const whole = mapStdout(createClaudeMapper(null), recorded("claude", "success", CLAUDE_ARGS_NO_PARTIAL).stdout).events;
    const text = (evs: typeof partial) =>
      ofType(evs, "message_streamed")
        .map((e) => e.data!.delta)
        .join("");
    expect(text(partial)).toBe(text(whole));
    expect(text(whole)).toBe(
      "I'll run the tests first.The add function has an off-by-one. Fixing it.Fixed the off-by-one in add(); all 12 tests pass now.",
    );
    expect(ofType(partial, "message_streamed").length).toBe(ofType(whole, "message_streamed").length + 1);
  });

  it("gives the same events however stdout is cut into chunks", () => {
    const reference = mapStdout(createClaudeMapper(null), claudeSuccess).events;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }), (sizes) => {
        expect(mapStdout(createClaudeMapper(null), claudeSuccess, sizes).events).toEqual(reference);
      }),
      { numRuns: 40 },
    );
  });

  it("an API error result (is_error with subtype success) becomes a classified failure", () => {
    const { summary, events } = mapStdout(createClaudeMapper(null), recorded("claude", "error", CLAUDE_ARGS).stdout);
    expect(summary.failure).toMatchObject({
      kind: "rate_limited",
      message: expect.stringContaining("429"),
      details: { subtype: "success" },
    });
    expect(ofType(events, "turn_completed")).toEqual([]);
  });

  it("error_max_turns becomes a failure that names the turn limit", () => {
    const { summary } = mapStdout(createClaudeMapper(null), recorded("claude", "max-turns", CLAUDE_ARGS).stdout);
    expect(summary.failure).toMatchObject({ kind: "unknown", details: { subtype: "error_max_turns", num_turns: 1 } });
    expect(summary.failure!.message).toMatch(/turn limit \(1 turns\)/);
    expect(summary.cost_usd).toBe(0.0012);
  });

  it("keeps unknown kinds on the next event, reports malformed lines, and goes on", () => {
    const { events, processor, summary } = mapStdout(createClaudeMapper(null), recorded("claude", "malformed", CLAUDE_ARGS).stdout);
    expect(types(events)).toEqual([
      "run_started",
      "error_recovered",
      "message_streamed",
      "token_usage_updated",
      "message_received",
      "turn_completed",
    ]);
    expect(events[1]!.data).toMatchObject({
      error_code: "protocol_error",
      line: expect.stringContaining("Warning: terminal"),
      line_number: 2,
    });
    const kept = events[2]!.metadata!.unmapped_lines as { type: string; subtype?: string }[];
    expect(kept.map((k) => k.subtype ?? k.type)).toEqual(["hook_response", "tool_progress", "thinking"]);
    expect(processor.stats).toEqual({ lines: 6, valid: 5, malformed: 1, unmapped: 3 });
    expect(summary.final_text).toBe("Hello!");
  });
});

describe("Codex stream mapper", () => {
  const codexSuccess = recorded("codex", "success", CODEX_ARGS).stdout;

  it("maps commands, file changes and MCP calls to canonical tools, and the turn's usage", () => {
    const { events, summary } = mapStdout(createCodexMapper("gpt-5-codex"), codexSuccess);
    expect(types(events)).toEqual([
      "run_started",
      "tool_call_started",
      "tool_call_failed",
      "tool_call_started",
      "tool_call_completed",
      "tool_call_started",
      "tool_call_completed",
      "tool_call_started",
      "tool_call_completed",
      "tool_call_started",
      "tool_call_completed",
      "message_streamed",
      "message_received",
      "token_usage_updated",
      "turn_completed",
    ]);
    expect(events[0]!.data).toEqual({
      provider: "codex",
      model: "gpt-5-codex",
      provider_session_id: "0199a7c2-5e1b-7d40-9c3f-8a2b6e4d1f07",
    });
    const started = ofType(events, "tool_call_started").map((e) => [e.data!.tool_name, e.data!.tool_input]);
    expect(started).toEqual([
      ["bash", { command: "bash -lc 'npm test'" }],
      ["edit_file", { paths: ["/workspace/src/add.js"], changes: [{ path: "/workspace/src/add.js", kind: "update" }] }],
      ["write_file", { paths: ["/workspace/CHANGELOG.md"], changes: [{ path: "/workspace/CHANGELOG.md", kind: "add" }] }],
      ["bash", { command: "bash -lc 'npm test'" }],
      ["mcp__github__create_issue", { repo: "acme/calc", title: "add() was off by one" }],
    ]);
    expect(ofType(events, "tool_call_failed")[0]!.data).toMatchObject({
      tool_call_id: "item_1",
      tool_output: { exit_code: 1, status: "failed" },
      error: "exit 1",
    });
    expect(ofType(events, "tool_call_completed").at(-1)!.data!.tool_output).toMatchObject({
      content: [{ type: "text", text: "Created issue #42" }],
    });
    // OpenAI's input_tokens include the cached ones; ours keep them apart.
    expect(lastOfType(events, "token_usage_updated")!.data).toEqual({
      input_tokens: 5641,
      output_tokens: 1250,
      cache_read_tokens: 19072,
      cache_creation_tokens: 0,
      total_tokens: 25963,
    });
    expect(summary).toMatchObject({
      provider_session_id: "0199a7c2-5e1b-7d40-9c3f-8a2b6e4d1f07",
      turn_count: 1,
      final_text: "Fixed the off-by-one in add(); all 12 tests pass.",
      cost_usd: null,
    });
  });

  it("keeps reasoning and todo items as unmapped lines on the following events", () => {
    const { events, processor } = mapStdout(createCodexMapper(null), codexSuccess);
    const carried = events.flatMap((e) =>
      ((e.metadata?.unmapped_lines as { item: { type: string } }[] | undefined) ?? []).map((u) => u.item.type),
    );
    expect(carried).toEqual(["reasoning", "todo_list", "todo_list", "todo_list"]);
    expect(processor.stats.unmapped).toBe(4);
    expect(processor.drainUnmapped()).toBeNull();
  });

  it("turn.failed is a classified failure; error lines become non-fatal error_occurred events", () => {
    const { events, summary } = mapStdout(createCodexMapper(null), recorded("codex", "failed", CODEX_ARGS).stdout);
    expect(types(events)).toEqual(["run_started", "error_occurred", "error_occurred"]);
    expect(events[1]!.data).toMatchObject({ fatal: false, error_message: expect.stringContaining("Reconnecting") });
    expect(summary.failure).toMatchObject({ kind: "rate_limited", message: "exceeded retry limit, last status: 429 Too Many Requests" });
  });

  it("survives a log line and unknown event kinds", () => {
    const { events, processor, summary } = mapStdout(createCodexMapper(null), recorded("codex", "malformed", CODEX_ARGS).stdout);
    expect(types(events)).toEqual([
      "run_started",
      "error_recovered",
      "message_streamed",
      "message_received",
      "token_usage_updated",
      "turn_completed",
    ]);
    expect((events[2]!.metadata!.unmapped_lines as { type?: string }[]).length).toBe(2);
    expect(processor.stats).toMatchObject({ malformed: 1, unmapped: 2 });
    expect(summary.failure).toBeNull();
  });
});

describe("Amp stream mapper", () => {
  it("reads Amp's Claude-compatible stream with Amp's tool names and id-less messages", () => {
    const { events, summary } = mapStdout(createAmpMapper(null), recorded("amp", "success", AMP_ARGS).stdout);
    expect(types(events)).toEqual([
      "run_started",
      "message_streamed",
      "message_received",
      "tool_call_started",
      "token_usage_updated",
      "tool_call_completed",
      "tool_call_started",
      "token_usage_updated",
      "tool_call_completed",
      "message_streamed",
      "token_usage_updated",
      "message_received",
      "turn_completed",
    ]);
    expect(events[0]!.data).toMatchObject({ provider: "amp", model: null, provider_session_id: "T-019c479a-39cc-72af-a2d1-65a965c076ec" });
    expect(ofType(events, "tool_call_started").map((e) => [e.data!.tool_name, e.data!.provider_tool_name])).toEqual([
      ["bash", "Bash"],
      ["write_file", "create_file"],
    ]);
    expect(ofType(events, "tool_call_started")[0]!.data!.tool_input).toEqual({ cmd: "npm test", command: "npm test" });
    // No message ids and no usage on the result: every assistant message counts once.
    expect(summary.usage).toEqual({ input: 39233, output: 86, cache_read: 38469, cache_creation: 487, total: 78275 });
    expect(summary).toMatchObject({ cost_usd: null, turn_count: 3, final_text: "Rewrote add(); the test passes." });
  });

  it("an error result carries Amp's error text, classified", () => {
    const { summary } = mapStdout(createAmpMapper(null), recorded("amp", "error", AMP_ARGS).stdout);
    expect(summary.failure).toMatchObject({
      kind: "quota",
      message: expect.stringContaining("Insufficient credit balance"),
      details: { subtype: "error_during_execution" },
    });
  });
});

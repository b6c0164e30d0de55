import { describe, expect, it } from "vitest";
import { createSession } from "./helpers";
import { runEvents, submitRun, waitRun } from "./runs-helpers";

describe("OpenAI agent (real SDK against a fake Responses API)", () => {
  it("runs a two-turn tool-using agent that writes a file in the sandbox, with cached-token usage and cost", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "openai", input: "[tools] write gpt.txt", options: { model: "gpt-4o" } })).id,
    );
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    expect(run.output?.content).toBe("All done with gpt.txt.");
    expect(run.turn_count).toBe(3);
    // Cached tokens are counted inside OpenAI's input_tokens; we report them apart.
    expect(run.token_usage).toEqual({ input: 520, output: 78, cache_read: 200, cache_creation: 0, total: 798 });
    expect(run.cost_usd).toBeGreaterThan(0);
    const tools = (await runEvents(s.id, run.id))
      .filter((e) => e.type.startsWith("tool_call_"))
      .map((e) => `${e.type}:${String(e.data.tool_name)}`);
    expect(tools).toEqual([
      "tool_call_started:write_file",
      "tool_call_completed:write_file",
      "tool_call_started:bash",
      "tool_call_completed:bash",
    ]);
    const check = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "cat gpt.txt" })).id);
    expect(check.output?.content).toBe("hello from gpt\n");
  });

  it("maps a 503 to a retryable provider_unavailable error", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "openai", input: "[unavailable] hi" })).id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "provider_unavailable", provider_error: { provider: "openai", kind: "overloaded" } });
  });

  it("plan mode offers read-only tools: the model's write is refused without running", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "openai", input: "[tools] write gpt.txt", options: { permission_mode: "plan" } })).id,
    );
    const failed = (await runEvents(s.id, run.id)).find((e) => e.type === "tool_call_failed")!;
    expect(String(failed.data.error)).toContain("plan mode");
    const check = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: "test -e gpt.txt && echo exists || echo absent" })).id,
    );
    expect(check.output?.content).toBe("absent\n");
  });
});

import { describe, expect, it } from "vitest";
import type { Run } from "../../src/core/run";
import { api, createSession, json } from "./helpers";
import { runEvents, submitRun, untilEvent, waitRun } from "./runs-helpers";

describe("Claude agent (real SDK against a fake Messages API)", () => {
  it("runs a two-turn tool-using agent that writes a file in the sandbox, with usage and cost", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "anthropic",
          input: "[tools] write notes.txt then show it",
          options: { model: "claude-sonnet-4-5" },
        })
      ).id,
    );
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    expect(run.output?.content).toBe("Done: notes.txt says hello.");
    expect(run.turn_count).toBe(3);
    expect(run.token_usage).toEqual({ input: 1500, output: 110, cache_read: 100, cache_creation: 0, total: 1710 });
    // claude-sonnet-4-5: $3 / $15 per million, cache reads $0.30 per million.
    expect(run.cost_usd).toBeCloseTo(1500 * 3e-6 + 110 * 15e-6 + 100 * 0.3e-6, 10);
    const events = await runEvents(s.id, run.id);
    const tools = events.filter((e) => e.type.startsWith("tool_call_")).map((e) => `${e.type}:${String(e.data.tool_name)}`);
    expect(tools).toEqual([
      "tool_call_started:write_file",
      "tool_call_completed:write_file",
      "tool_call_started:bash",
      "tool_call_completed:bash",
    ]);
    const bash = events.find((e) => e.type === "tool_call_completed" && e.data.tool_name === "bash")!;
    expect(String(bash.data.tool_output)).toContain("hello from claude");
    expect(events.filter((e) => e.type === "turn_completed")).toHaveLength(3);
    expect(events.at(-1)!.data).toMatchObject({ stop_reason: "end_turn" });
    const check = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "cat notes.txt" })).id);
    expect(check.output?.content).toBe("hello from claude\n");
  });

  it("sends tool calls through the policy: a denied tool reaches the model as an error result", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "anthropic",
          input: "[tools] go",
          policy: { name: "no-shell", tool_rules: [{ deny: ["bash"] }], on_violation: "warn" },
        })
      ).id,
    );
    expect(run.status).toBe("completed");
    const violations = (await runEvents(s.id, run.id)).filter((e) => e.type === "policy_violation");
    expect(violations.map((v) => v.data.kind)).toEqual(["tool_denied"]);
  });

  it("fails over from an overloaded Claude (529) to the next provider with routing metadata", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "router",
          input: { prompt: "echo failover-ok # [overloaded]" },
          routing: { prefer: ["anthropic", "shell"], cooldown_ms: 0 },
        })
      ).id,
    );
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    expect(run.output?.content).toBe("failover-ok\n");
    expect(run.metadata.routing).toMatchObject({
      routed_provider: "shell",
      routing_attempt: 2,
      failover_from: "anthropic",
      failover_reason: "provider_unavailable",
    });
    const last = (await runEvents(s.id, run.id)).find((e) => e.type === "message_received")!;
    expect(last.metadata).toMatchObject({ routed_provider: "shell", failover_from: "anthropic" });
  });

  it("maps 429 (with retry-after), 500 and a stream cut mid-message to provider errors with the right kinds", async () => {
    const s = await createSession();
    const cases: [string, string, string, boolean][] = [
      ["[ratelimited] hi", "provider_rate_limited", "rate_limited", true],
      ["[server-error] hi", "provider_unavailable", "server", true],
      ["[overloaded] hi", "provider_unavailable", "overloaded", true],
      ["[cut] hi", "provider_unavailable", "network", true],
    ];
    for (const [input, code, kind, retryable] of cases) {
      const run = await waitRun(s.id, (await submitRun(s.id, { provider: "anthropic", input })).id);
      expect(run.status, input).toBe("failed");
      expect(run.error, input).toMatchObject({ code, retryable, provider_error: { provider: "anthropic", kind } });
    }
    const limited = await waitRun(s.id, (await submitRun(s.id, { provider: "anthropic", input: "[ratelimited] again" })).id);
    expect(limited.error?.details).toMatchObject({ status: 429, retry_after: "7" });
  });

  it("cancels mid-stream", async () => {
    const s = await createSession();
    const run = await submitRun(s.id, { provider: "anthropic", input: "[slow] talk" });
    await untilEvent(s.id, run.id, "message_streamed");
    const cancelled = await json<Run>(api(`/v1/sessions/${s.id}/runs/${run.id}/cancel`, { method: "POST" }));
    expect(cancelled.status).toBe("cancelled");
    const streamed = (await runEvents(s.id, run.id)).filter((e) => e.type === "message_streamed").length;
    await new Promise((r) => setTimeout(r, 300));
    expect((await runEvents(s.id, run.id)).filter((e) => e.type === "message_streamed").length).toBe(streamed);
  });
});

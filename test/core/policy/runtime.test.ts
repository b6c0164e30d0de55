import { describe, expect, it } from "vitest";
import { MISSING_COST_RATES, PolicyRuntime, PolicySchema, type CostOf, type PolicyInput, type UsageCounts } from "../../../src/core/policy";

/** A controllable clock and a price table: $1 per 1000 input tokens, $2 per 1000 output, for "m1" only. */
function setup(input: PolicyInput, opts: { costOf?: CostOf } = {}) {
  let clock = 1_000;
  const priced: { usage: UsageCounts; model: string | null }[] = [];
  const costOf: CostOf =
    opts.costOf ??
    ((usage, model) => {
      priced.push({ usage, model });
      return model === "m1" ? usage.input / 1000 + (usage.output * 2) / 1000 : null;
    });
  const runtime = new PolicyRuntime(PolicySchema.parse(input), { now: () => clock, costOf });
  return { runtime, priced, advance: (ms: number) => (clock += ms) };
}

const started = (tool_name: string, tool_call_id?: string) => ({
  type: "tool_call_started",
  data: { tool_name, ...(tool_call_id ? { tool_call_id } : {}) },
});
const usage = (data: Record<string, unknown>) => ({ type: "token_usage_updated", data });

describe("PolicyRuntime: limits", () => {
  it("max_tool_calls: 2 triggers on the 3rd call, once", () => {
    const { runtime } = setup({ name: "p", limits: { max_tool_calls: 2 } });
    expect(runtime.observe(started("Read"))).toEqual([]);
    expect(runtime.observe(started("Read"))).toEqual([]);
    expect(runtime.observe(started("Read"))).toEqual([
      { policy: "p", kind: "budget_exceeded", action: "cancel", details: { metric: "tool_calls", actual: 3, limit: 2 } },
    ]);
    expect(runtime.observe(started("Read"))).toEqual([]);
    expect(runtime.summary().violations).toHaveLength(1);
    expect(runtime.summary().counters.tool_calls).toBe(4);
  });

  it("max_total_tokens is exceeded only when actual > limit", () => {
    const { runtime } = setup({ limits: { max_total_tokens: 100 } });
    expect(runtime.observe(usage({ input_tokens: 60, output_tokens: 40 }))).toEqual([]);
    const v = runtime.observe(usage({ input_tokens: 1, output_tokens: 0 }));
    expect(v.map((x) => x.details)).toEqual([{ metric: "total_tokens", actual: 101, limit: 100 }]);
  });

  it("max_duration_ms via events and via the deadline check, reported once", () => {
    const { runtime, advance } = setup({ limits: { max_duration_ms: 500 } });
    advance(500);
    expect(runtime.checkDeadline()).toBeNull();
    expect(runtime.observe({ type: "message_streamed", data: {} })).toEqual([]);
    advance(1);
    expect(runtime.checkDeadline()).toMatchObject({ kind: "budget_exceeded", details: { metric: "duration_ms", actual: 501, limit: 500 } });
    advance(100);
    expect(runtime.checkDeadline()).toBeNull();
    expect(runtime.observe({ type: "message_streamed", data: {} })).toEqual([]);
    expect(runtime.summary().counters.elapsed_ms).toBe(601);
  });

  it("max_cost_usd priced with the model from run_started", () => {
    const { runtime, priced } = setup({ on_violation: "warn", limits: { max_cost_usd: 1 } });
    runtime.observe({ type: "run_started", data: { model: "m1" } });
    expect(runtime.observe(usage({ input_tokens: 500, output_tokens: 250 }))).toEqual([]); // $1.00: not over
    const v = runtime.observe(usage({ input_tokens: 0, output_tokens: 1 }));
    expect(v).toEqual([
      { policy: "default", kind: "budget_exceeded", action: "warn", details: { metric: "cost_usd", actual: 1.002, limit: 1 } },
    ]);
    expect(priced.at(-1)).toEqual({ usage: { input: 500, output: 251, cache_read: 0, cache_creation: 0 }, model: "m1" });
    expect(runtime.summary().warnings).toEqual([]);
  });

  it("skips a cost limit without rates and records missing_cost_rates once", () => {
    const { runtime } = setup({ limits: { max_cost_usd: 0.0001 } });
    runtime.observe({ type: "run_started", data: { model: "unknown-model" } });
    expect(runtime.observe(usage({ input_tokens: 1_000_000, output_tokens: 1_000_000 }))).toEqual([]);
    runtime.observe(usage({ input_tokens: 1 }));
    const s = runtime.summary();
    expect(s.warnings).toEqual([MISSING_COST_RATES]);
    expect(s.counters.cost_supported).toBe(false);
    expect(s.violations).toEqual([]);
  });

  it("records no cost warning when there is no cost limit", () => {
    const { runtime } = setup({ limits: { max_total_tokens: 10_000 } });
    runtime.observe(usage({ input_tokens: 5 }));
    expect(runtime.summary().warnings).toEqual([]);
  });
});

describe("PolicyRuntime: token counting", () => {
  it("accepts both key styles and cache keys, summing deltas", () => {
    const { runtime } = setup({});
    runtime.observe(usage({ input_tokens: 10, output_tokens: 5, cache_read_tokens: 3, cache_creation_tokens: 2 }));
    runtime.observe(usage({ input: 7, output: 1, cache_read: 4, cache_creation: 1 }));
    expect(runtime.summary().counters).toMatchObject({
      input_tokens: 17,
      output_tokens: 6,
      cache_read_tokens: 7,
      cache_creation_tokens: 3,
      total_tokens: 23,
    });
  });

  it("uses a reported total_tokens, keeping the maximum seen", () => {
    const { runtime } = setup({ limits: { max_total_tokens: 1000 } });
    runtime.observe(usage({ input_tokens: 10, output_tokens: 10, total_tokens: 900 }));
    runtime.observe(usage({ input_tokens: 1, output_tokens: 1, total_tokens: 400 }));
    expect(runtime.summary().counters.total_tokens).toBe(900);
    expect(runtime.observe(usage({ total_tokens: 1001 })).map((v) => v.details.actual)).toEqual([1001]);
  });

  it("replaces the counts when an event says it is cumulative", () => {
    const { runtime } = setup({});
    runtime.observe(usage({ input_tokens: 100, output_tokens: 10, cumulative: true }));
    runtime.observe(usage({ input_tokens: 150, output_tokens: 30, cumulative: true }));
    expect(runtime.summary().counters).toMatchObject({ input_tokens: 150, output_tokens: 30, total_tokens: 180 });
  });
});

describe("PolicyRuntime: tool rules", () => {
  it("denies a listed tool case-insensitively, once per tool", () => {
    const { runtime } = setup({ name: "safe", tool_rules: [{ deny: ["bash"] }] });
    const first = runtime.observe(started("Bash"));
    expect(first).toEqual([
      { policy: "safe", kind: "tool_denied", action: "cancel", details: { tool_name: "Bash", rule: "deny", denied_tools: ["bash"] } },
    ]);
    expect(runtime.observe({ type: "tool_call_completed", data: { tool_name: "BASH" } })).toEqual([]);
    expect(runtime.observe(started("Read"))).toEqual([]);
  });

  it("denies a tool missing from an allow list, reading data.name too", () => {
    const { runtime } = setup({ tool_rules: [{ allow: ["Read", "Grep"] }] });
    expect(runtime.observe({ type: "tool_call_started", data: { name: "read" } })).toEqual([]);
    expect(runtime.observe({ type: "tool_call_started", data: { name: "Write" } })).toEqual([
      expect.objectContaining({ kind: "tool_denied", details: { tool_name: "Write", rule: "allow", allowed_tools: ["Read", "Grep"] } }),
    ]);
  });

  it("with allow and deny rules, prefers the deny reason and checks every allow list", () => {
    const { runtime } = setup({ tool_rules: [{ allow: ["Read", "Write"] }, { deny: ["write"] }, { allow: ["Read"] }] });
    expect(runtime.checkTool("Write")?.details).toMatchObject({ rule: "deny" });
    expect(runtime.checkTool("Read")).toBeNull();
    expect(runtime.checkTool("Grep")?.details).toMatchObject({ rule: "allow", allowed_tools: ["Read", "Write"] });
  });
});

describe("PolicyRuntime: checkTool gate", () => {
  it("refuses every offending call but reports the violation once overall", () => {
    const { runtime } = setup({ on_violation: "request_approval", tool_rules: [{ deny: ["bash"] }] });
    const v = runtime.checkTool("bash");
    expect(v).toMatchObject({ kind: "tool_denied", action: "request_approval" });
    expect(runtime.checkTool("BASH")).toMatchObject({ kind: "tool_denied" });
    expect(runtime.observe(started("bash"))).toEqual([]); // already reported by the gate
    expect(runtime.summary().violations).toHaveLength(1);
  });

  it("counts the call about to happen when the gate comes before tool_call_started", () => {
    const { runtime } = setup({ limits: { max_tool_calls: 2 } });
    for (let i = 1; i <= 2; i++) {
      expect(runtime.checkTool("Read")).toBeNull();
      expect(runtime.observe(started("Read"))).toEqual([]);
    }
    expect(runtime.checkTool("Read")).toMatchObject({ details: { metric: "tool_calls", actual: 3, limit: 2 } });
  });

  it("counts gated calls that have not started yet (parallel tool calls)", () => {
    const { runtime } = setup({ limits: { max_tool_calls: 2 } });
    expect(runtime.checkTool("Read", "a")).toBeNull();
    expect(runtime.checkTool("Grep", "b")).toBeNull();
    expect(runtime.checkTool("Read", "c")).toMatchObject({ details: { metric: "tool_calls", actual: 3 } });
  });

  it("does not count a call twice when tool_call_started comes before the gate", () => {
    const { runtime } = setup({ limits: { max_tool_calls: 1 } });
    expect(runtime.observe(started("bash", "tc_1"))).toEqual([]);
    expect(runtime.checkTool("bash")).toBeNull(); // the same call, matched by name
    expect(runtime.observe(started("bash", "tc_2"))).toHaveLength(1);
    expect(runtime.checkTool("bash", "tc_2")).toMatchObject({ details: { metric: "tool_calls", actual: 2, limit: 1 } });
  });
});

describe("PolicyRuntime: summary", () => {
  it("carries the action, violations, warnings and counters", () => {
    const { runtime, advance } = setup({ name: "p", on_violation: "warn", limits: { max_tool_calls: 0 } });
    runtime.observe({ type: "run_started", data: { model: "m1" } });
    runtime.observe(started("Read"));
    advance(42);
    const s = runtime.summary();
    expect(s).toMatchObject({ policy: "p", action: "warn", warnings: [], counters: { tool_calls: 1, elapsed_ms: 42, model: "m1" } });
    expect(s.violations).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

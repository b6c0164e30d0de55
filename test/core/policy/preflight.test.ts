import { describe, expect, it } from "vitest";
import { PolicySchema, compileHints, preflight, type PolicyInput } from "../../../src/core/policy";

const check = (input: PolicyInput) => preflight(PolicySchema.parse(input));

describe("preflight", () => {
  it("passes a satisfiable policy", () => {
    expect(check({ limits: { max_tool_calls: 1, max_total_tokens: 1 }, tool_rules: [{ allow: ["Read"] }, { deny: ["bash"] }] })).toBeNull();
    expect(check({})).toBeNull();
  });

  it("refuses an empty allow list, also one emptied by dropped names", () => {
    expect(check({ name: "p", tool_rules: [{ deny: ["x"] }, { allow: [] }] })).toMatchObject({
      policy: "p",
      kind: "tool_denied",
      action: "cancel",
      details: { check: "empty_allow_list", rule_index: 1 },
    });
    expect(check({ tool_rules: [{ allow: ["", " "] }] })?.details.check).toBe("empty_allow_list");
  });

  it.each(["max_total_tokens", "max_tool_calls", "max_duration_ms", "max_cost_usd"] as const)("refuses a zero %s budget", (limit) => {
    const v = check({ on_violation: "warn", limits: { [limit]: 0 } });
    expect(v).toMatchObject({ kind: "budget_exceeded", action: "warn", details: { check: "zero_budget", limit } });
  });

  it("refuses a tool both allowed and denied, case-insensitively", () => {
    const v = check({ tool_rules: [{ allow: ["Bash", "Read"] }, { deny: ["bash"] }] });
    expect(v).toMatchObject({ kind: "tool_denied", details: { check: "contradictory_rules", tools: ["Bash"] } });
  });
});

describe("compileHints", () => {
  it("maps deny, allow (union) and max_total_tokens", () => {
    const hints = compileHints(
      PolicySchema.parse({
        limits: { max_total_tokens: 5000, max_tool_calls: 3, max_duration_ms: 10, max_cost_usd: 1 },
        tool_rules: [{ allow: ["Read", "Grep"] }, { deny: ["bash", "Bash"] }, { allow: ["read", "Write"] }],
      }),
    );
    expect(hints).toEqual({ allowed_tools: ["Read", "Grep", "Write"], denied_tools: ["bash"], max_tokens: 5000 });
  });

  it("gives no hints for a policy without rules or token budget", () => {
    expect(compileHints(PolicySchema.parse({ limits: { max_tool_calls: 2 } }))).toEqual({});
  });

  it("gives only denied_tools for deny-only rules", () => {
    expect(compileHints(PolicySchema.parse({ tool_rules: [{ deny: ["rm"] }] }))).toEqual({ denied_tools: ["rm"] });
  });
});

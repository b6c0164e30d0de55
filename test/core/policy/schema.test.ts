import { describe, expect, it } from "vitest";
import { PolicyInputSchema, PolicySchema, defaultPolicy, resolvePolicy } from "../../../src/core/policy";

describe("PolicySchema", () => {
  it("fills every default", () => {
    expect(PolicySchema.parse({})).toEqual({
      name: "default",
      limits: {},
      tool_rules: [],
      on_violation: "cancel",
      require_isolation: false,
      metadata: {},
    });
    expect(defaultPolicy().name).toBe("default");
  });

  it("drops empty and blank tool names", () => {
    const p = PolicySchema.parse({ tool_rules: [{ allow: ["Read", "", "  "] }, { deny: [" bash "] }] });
    expect(p.tool_rules).toEqual([{ allow: ["Read"] }, { deny: ["bash"] }]);
  });

  it.each([
    [{ limits: { max_tool_calls: -1 } }, "max_tool_calls must be >= 0"],
    [{ limits: { max_total_tokens: 1.5 } }, "max_total_tokens must be an integer"],
    [{ limits: { max_cost_usd: "1" } }, "max_cost_usd must be a number"],
    [{ on_violation: "explode" }, "on_violation must be one of: cancel, request_approval, warn"],
    [{ tool_rules: [{ allow: ["a"], deny: ["b"] }] }, "a tool rule needs exactly one of 'allow' or 'deny'"],
    [{ tool_rules: [{}] }, "a tool rule needs exactly one of 'allow' or 'deny'"],
    [{ tool_rules: [{ deny: [1] }] }, "tool names must be strings"],
    [{ name: "" }, "name must not be empty"],
  ])("rejects %j with a clear message", (input, message) => {
    const result = PolicySchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain(message);
  });

  it("is strict about unknown keys", () => {
    expect(PolicySchema.safeParse({ limitz: {} }).success).toBe(false);
    expect(PolicySchema.safeParse({ limits: { max_tokens: 5 } }).success).toBe(false);
  });

  it("accepts a zero limit (preflight, not the schema, refuses it)", () => {
    expect(PolicySchema.parse({ limits: { max_cost_usd: 0 } }).limits).toEqual({ max_cost_usd: 0 });
  });
});

describe("PolicyInputSchema / resolvePolicy", () => {
  it("stacks `policies` and prefers them over `policy`", () => {
    const body = PolicyInputSchema.parse({
      policy: { name: "ignored", on_violation: "warn" },
      policies: [
        { name: "org", limits: { max_tool_calls: 5 } },
        { name: "team", on_violation: "warn" },
      ],
    });
    const p = resolvePolicy(body);
    expect(p?.name).toBe("org + team");
    expect(p?.limits).toEqual({ max_tool_calls: 5 });
    expect(p?.on_violation).toBe("cancel");
  });

  it("uses a single `policy`, and nothing when neither is given", () => {
    expect(resolvePolicy(PolicyInputSchema.parse({ policy: { name: "solo" } }))?.name).toBe("solo");
    expect(resolvePolicy(PolicyInputSchema.parse({}))).toBeNull();
  });

  it("reports the index of an invalid policy in the list", () => {
    const r = PolicyInputSchema.safeParse({ policies: [{}, { on_violation: "nope" }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["policies", 1, "on_violation"]);
  });
});

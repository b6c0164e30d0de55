import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicySchema, stackPolicies, type Policy, type PolicyInput } from "../../../src/core/policy";
import { narrowestNetwork } from "../../../src/core/policy/stack";

const policy = (input: PolicyInput): Policy => PolicySchema.parse(input);

describe("stackPolicies", () => {
  it("gives the default policy for an empty stack", () => {
    expect(stackPolicies([])).toEqual(PolicySchema.parse({}));
  });

  it("joins names with ' + ' without repeating one", () => {
    expect(stackPolicies([policy({ name: "org" }), policy({ name: "team" }), policy({ name: "org" })]).name).toBe("org + team");
    expect(stackPolicies([stackPolicies([policy({ name: "a" }), policy({ name: "b" })]), policy({ name: "b" })]).name).toBe("a + b");
  });

  it("lets a later limit override the same kind and keeps the others", () => {
    const merged = stackPolicies([
      policy({ limits: { max_tool_calls: 10, max_total_tokens: 1000 } }),
      policy({ limits: { max_tool_calls: 3, max_cost_usd: 2.5 } }),
    ]);
    expect(merged.limits).toEqual({ max_tool_calls: 3, max_total_tokens: 1000, max_cost_usd: 2.5 });
  });

  it("concatenates tool rules in order", () => {
    const merged = stackPolicies([policy({ tool_rules: [{ deny: ["bash"] }] }), policy({ tool_rules: [{ allow: ["Read", "Write"] }] })]);
    expect(merged.tool_rules).toEqual([{ deny: ["bash"] }, { allow: ["Read", "Write"] }]);
  });

  it.each([
    [["warn", "request_approval"], "request_approval"],
    [["request_approval", "warn"], "request_approval"],
    [["warn", "cancel", "warn"], "cancel"],
    [["warn", "warn"], "warn"],
  ] as const)("takes the strictest action of %j", (actions, expected) => {
    expect(stackPolicies(actions.map((a) => policy({ on_violation: a }))).on_violation).toBe(expected);
  });

  it("merges metadata with later keys winning", () => {
    const merged = stackPolicies([policy({ metadata: { a: 1, b: 1 } }), policy({ metadata: { b: 2, c: 3 } })]);
    expect(merged.metadata).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("does not mutate its inputs", () => {
    const first = policy({ limits: { max_tool_calls: 1 }, tool_rules: [{ deny: ["x"] }] });
    stackPolicies([first, policy({ limits: { max_tool_calls: 9 }, tool_rules: [{ deny: ["y"] }] })]);
    expect(first.limits).toEqual({ max_tool_calls: 1 });
    expect(first.tool_rules).toEqual([{ deny: ["x"] }]);
  });
});

const arbPolicy = fc
  .record(
    {
      name: fc.constantFrom("org", "team", "user", "ci"),
      on_violation: fc.constantFrom("cancel", "request_approval", "warn"),
      limits: fc.record(
        {
          max_tool_calls: fc.nat(50),
          max_total_tokens: fc.nat(10_000),
          max_duration_ms: fc.nat(60_000),
          max_cost_usd: fc.double({ min: 0, max: 10, noNaN: true }),
        },
        { requiredKeys: [] },
      ),
      tool_rules: fc.array(
        fc.oneof(
          fc.record({ allow: fc.array(fc.constantFrom("a", "b", "c")) }),
          fc.record({ deny: fc.array(fc.constantFrom("a", "b", "c")) }),
        ),
        { maxLength: 3 },
      ),
      metadata: fc.dictionary(fc.constantFrom("k1", "k2", "k3"), fc.integer()),
    },
    { requiredKeys: [] },
  )
  .map((input) => PolicySchema.parse(input));

describe("stacking properties", () => {
  it("is associative", () => {
    fc.assert(
      fc.property(arbPolicy, arbPolicy, arbPolicy, (a, b, c) => {
        const left = stackPolicies([stackPolicies([a, b]), c]);
        const right = stackPolicies([a, stackPolicies([b, c])]);
        const flat = stackPolicies([a, b, c]);
        expect(left).toEqual(flat);
        expect(right).toEqual(flat);
      }),
    );
  });

  it("never weakens the action and keeps the last value of every limit kind", () => {
    const rank = { warn: 0, request_approval: 1, cancel: 2 } as const;
    fc.assert(
      fc.property(fc.array(arbPolicy, { minLength: 1, maxLength: 5 }), (stack) => {
        const merged = stackPolicies(stack);
        expect(rank[merged.on_violation]).toBe(Math.max(...stack.map((p) => rank[p.on_violation])));
        for (const kind of ["max_tool_calls", "max_total_tokens", "max_duration_ms", "max_cost_usd"] as const) {
          const last = [...stack].reverse().find((p) => p.limits[kind] !== undefined);
          expect(merged.limits[kind]).toBe(last?.limits[kind]);
        }
        expect(merged.tool_rules.length).toBe(stack.reduce((n, p) => n + p.tool_rules.length, 0));
      }),
    );
  });
});

describe("network in stacked policies", () => {
  it("keeps the most restrictive setting: none over an allow list over all; allow lists intersect", () => {
    expect(narrowestNetwork(undefined, "all")).toBe("all");
    expect(narrowestNetwork("all", { allow: ["a.example"] })).toEqual({ allow: ["a.example"] });
    expect(narrowestNetwork({ allow: ["a.example"] }, "none")).toBe("none");
    expect(narrowestNetwork({ allow: ["a.example", "B.example"] }, { allow: ["b.example", "c.example"] })).toEqual({
      allow: ["B.example"],
    });
    expect(narrowestNetwork({ allow: ["a.example"] }, { allow: ["c.example"] })).toBe("none");
  });

  it("require_isolation holds if any policy of the stack asks for it", () => {
    const stacked = stackPolicies([PolicySchema.parse({ require_isolation: true }), PolicySchema.parse({ network: "all" })]);
    expect(stacked.require_isolation).toBe(true);
    expect(stacked.network).toBe("all");
  });
});

import { describe, expect, it } from "vitest";
import { mergeRoutingPolicy, RoutingPolicyOverrideSchema, RoutingPolicySchema, stickyIdOf } from "../../../src/core/routing";

describe("RoutingPolicySchema", () => {
  it("fills every default", () => {
    expect(RoutingPolicySchema.parse({})).toEqual({
      prefer: [],
      exclude: [],
      strategy: "prefer",
      weights: {},
      max_attempts: 3,
      required_capabilities: [],
      sticky: false,
      sticky_session_id: null,
      sticky_ttl_ms: 300_000,
      cooldown_ms: 30_000,
      breaker: { enabled: true, failure_threshold: 5, cooldown_ms: 30_000, half_open_max_probes: 1 },
    });
  });

  it("defaults a capability requirement's name to null and rejects unknown types and fields", () => {
    expect(RoutingPolicySchema.parse({ required_capabilities: [{ type: "tool" }] }).required_capabilities).toEqual([
      { type: "tool", name: null },
    ]);
    expect(RoutingPolicySchema.safeParse({ required_capabilities: [{ type: "telepathy" }] }).success).toBe(false);
    expect(RoutingPolicySchema.safeParse({ strategy: "random" }).success).toBe(false);
    expect(RoutingPolicySchema.safeParse({ max_attempts: 0 }).success).toBe(false);
    expect(RoutingPolicySchema.safeParse({ prefered: ["a"] }).success).toBe(false);
  });
});

describe("mergeRoutingPolicy", () => {
  const base = RoutingPolicySchema.parse({
    prefer: ["anthropic"],
    weights: { anthropic: 2 },
    max_attempts: 2,
    breaker: { failure_threshold: 3 },
  });

  it("the override replaces the fields it sets and keeps the rest", () => {
    const merged = mergeRoutingPolicy(
      base,
      RoutingPolicyOverrideSchema.parse({ prefer: ["codex"], strategy: "weighted", sticky_session_id: "s1" }),
    );
    expect(merged).toEqual({ ...base, prefer: ["codex"], strategy: "weighted", sticky_session_id: "s1" });
  });

  it("merges breaker fields one by one", () => {
    const merged = mergeRoutingPolicy(base, RoutingPolicyOverrideSchema.parse({ breaker: { cooldown_ms: 5 } }));
    expect(merged.breaker).toEqual({ enabled: true, failure_threshold: 3, cooldown_ms: 5, half_open_max_probes: 1 });
  });

  it("an override with no defaults of its own changes nothing", () => {
    expect(RoutingPolicyOverrideSchema.parse({})).toEqual({});
    expect(mergeRoutingPolicy(base, RoutingPolicyOverrideSchema.parse({}))).toEqual(base);
    expect(mergeRoutingPolicy(base, null)).toBe(base);
  });

  it("the sticky id is explicit, else the session id when sticky is on, else none", () => {
    expect(stickyIdOf(base, "ses_1")).toBeNull();
    expect(stickyIdOf({ ...base, sticky: true }, "ses_1")).toBe("ses_1");
    expect(stickyIdOf({ ...base, sticky: true, sticky_session_id: "team" }, "ses_1")).toBe("team");
  });
});

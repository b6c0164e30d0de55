import { toolKey, type LimitKind, type Policy, type PolicyViolation } from "./schema";

/**
 * Refuses policies no run can satisfy, before anything runs. We check every zero budget,
 * including duration and cost (the original's code and guide each named only some of them).
 */
export type PreflightCheck = "empty_allow_list" | "zero_budget" | "contradictory_rules";

const ZERO_BUDGET_KINDS: readonly LimitKind[] = ["max_total_tokens", "max_tool_calls", "max_duration_ms", "max_cost_usd"];

function refused(
  policy: Policy,
  kind: PolicyViolation["kind"],
  check: PreflightCheck,
  message: string,
  extra: Record<string, unknown>,
): PolicyViolation {
  return { policy: policy.name, kind, action: policy.on_violation, details: { check, message, ...extra } };
}

function checkEmptyAllow(policy: Policy): PolicyViolation | null {
  const index = policy.tool_rules.findIndex((rule) => rule.allow !== undefined && rule.allow.length === 0);
  if (index < 0) return null;
  return refused(policy, "tool_denied", "empty_allow_list", "Policy has an empty allow list: no tool can ever be used", {
    rule_index: index,
  });
}

function checkZeroBudget(policy: Policy): PolicyViolation | null {
  const limit = ZERO_BUDGET_KINDS.find((kind) => policy.limits[kind] === 0);
  if (!limit) return null;
  return refused(policy, "budget_exceeded", "zero_budget", `Policy has a zero budget for ${limit}: the run cannot do anything`, { limit });
}

function checkContradictions(policy: Policy): PolicyViolation | null {
  const allowed = new Map<string, string>();
  for (const rule of policy.tool_rules) if (rule.allow !== undefined) for (const name of rule.allow) allowed.set(toolKey(name), name);
  const both = new Set<string>();
  for (const rule of policy.tool_rules) {
    if (rule.deny !== undefined) for (const name of rule.deny) if (allowed.has(toolKey(name))) both.add(allowed.get(toolKey(name)) ?? name);
  }
  if (both.size === 0) return null;
  const tools = [...both];
  return refused(policy, "tool_denied", "contradictory_rules", `Policy both allows and denies: ${tools.join(", ")}`, { tools });
}

/** The first failed check as a violation (`details.check` names it), or null when the policy can be run. */
export function preflight(policy: Policy): PolicyViolation | null {
  return checkEmptyAllow(policy) ?? checkZeroBudget(policy) ?? checkContradictions(policy);
}

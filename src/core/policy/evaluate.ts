import { toolKey, type Policy, type PolicyViolation } from "./schema";

/** Pure checks of one policy against a tool name or a set of counters. No state here. */

export type BudgetMetric = "total_tokens" | "duration_ms" | "tool_calls" | "cost_usd";

/** What the limits are compared with. `cost_usd` is null while it cannot be priced (no rates). */
export type BudgetActuals = { total_tokens: number; duration_ms: number; tool_calls: number; cost_usd: number | null };

const LIMIT_OF_METRIC = {
  total_tokens: "max_total_tokens",
  duration_ms: "max_duration_ms",
  tool_calls: "max_tool_calls",
  cost_usd: "max_cost_usd",
} as const;

function violation(policy: Policy, kind: PolicyViolation["kind"], details: Record<string, unknown>): PolicyViolation {
  return { policy: policy.name, kind, action: policy.on_violation, details };
}

/** A deny-list hit first (the clearer reason), else the first allow list that lacks the tool. */
export function toolRuleViolation(policy: Policy, toolName: string): PolicyViolation | null {
  const key = toolKey(toolName);
  const inList = (names: readonly string[]) => names.some((n) => toolKey(n) === key);
  for (const rule of policy.tool_rules) {
    if (rule.deny !== undefined && inList(rule.deny)) {
      return violation(policy, "tool_denied", { tool_name: toolName, rule: "deny", denied_tools: rule.deny });
    }
  }
  for (const rule of policy.tool_rules) {
    if (rule.allow !== undefined && !inList(rule.allow)) {
      return violation(policy, "tool_denied", { tool_name: toolName, rule: "allow", allowed_tools: rule.allow });
    }
  }
  return null;
}

/** One metric against its limit: a violation only when actual > limit (strictly). */
export function budgetViolation(policy: Policy, metric: BudgetMetric, actual: number | null): PolicyViolation | null {
  const limit = policy.limits[LIMIT_OF_METRIC[metric]];
  if (limit === undefined || actual === null || !(actual > limit)) return null;
  return violation(policy, "budget_exceeded", { metric, actual, limit });
}

export function budgetViolations(policy: Policy, actuals: BudgetActuals): PolicyViolation[] {
  const metrics = Object.keys(LIMIT_OF_METRIC) as BudgetMetric[];
  return metrics.map((m) => budgetViolation(policy, m, actuals[m])).filter((v): v is PolicyViolation => v !== null);
}

/** The identity of a violation for once-per-run reporting: kind plus metric or tool. */
export function violationKey(v: PolicyViolation): string {
  if (v.kind === "budget_exceeded") return `budget_exceeded:${String(v.details.metric)}`;
  return `tool_denied:${toolKey(String(v.details.tool_name))}`;
}

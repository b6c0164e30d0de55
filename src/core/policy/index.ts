export {
  DEFAULT_POLICY_NAME,
  LIMIT_KINDS,
  ON_VIOLATION_ACTIONS,
  OnViolationSchema,
  PolicyInputSchema,
  PolicyLimitsSchema,
  PolicySchema,
  PolicyViolationSchema,
  ToolRuleSchema,
  VIOLATION_KINDS,
  ViolationKindSchema,
  defaultPolicy,
  toolKey,
} from "./schema";
export type { LimitKind, OnViolation, Policy, PolicyInput, PolicyInputBody, PolicyLimits, PolicyViolation, ToolRule } from "./schema";
export { resolvePolicy, stackPolicies, strictestAction } from "./stack";
export { preflight } from "./preflight";
export type { PreflightCheck } from "./preflight";
export { compileHints } from "./compile";
export type { PolicyHints } from "./compile";
export { budgetViolation, budgetViolations, toolRuleViolation, violationKey } from "./evaluate";
export type { BudgetMetric } from "./evaluate";
export { MISSING_COST_RATES, PolicyCountersSchema, PolicyRuntime, PolicySummarySchema } from "./runtime";
export type { CostOf, PolicyCounters, PolicyEvent, PolicyRuntimeDeps, PolicySummary, UsageCounts } from "./runtime";
export { readUsageReport } from "./usage-report";
export { checkCommand, scanCommand } from "./commands";
export type { CommandCheck, CommandContext, CommandInput, CommandRules, CommandViolation } from "./commands";
export { REFUSAL_REASONS } from "./shell/refusal";
export type { RefusalReason } from "./shell/refusal";

import { z } from "zod";
import { NetworkPolicySchema } from "../sandbox-protocol";

/**
 * The policy model, as the original library defined it, with our changes: `limits` is an object and tool names match
 * case-insensitively.
 * Parsing fills every default, so code past the boundary never checks for missing fields.
 */

export const ON_VIOLATION_ACTIONS = ["cancel", "request_approval", "warn"] as const;
export const OnViolationSchema = z.enum(ON_VIOLATION_ACTIONS, {
  error: `on_violation must be one of: ${ON_VIOLATION_ACTIONS.join(", ")}`,
});
export type OnViolation = z.infer<typeof OnViolationSchema>;

const nonNegativeInt = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .int({ error: `${field} must be an integer` })
    .min(0, { error: `${field} must be >= 0` });

export const PolicyLimitsSchema = z
  .strictObject({
    max_total_tokens: nonNegativeInt("max_total_tokens").optional(),
    max_duration_ms: nonNegativeInt("max_duration_ms").optional(),
    max_tool_calls: nonNegativeInt("max_tool_calls").optional(),
    max_cost_usd: z.number({ error: "max_cost_usd must be a number" }).finite().min(0, { error: "max_cost_usd must be >= 0" }).optional(),
  })
  .meta({ id: "PolicyLimits" });
export type PolicyLimits = z.infer<typeof PolicyLimitsSchema>;
export type LimitKind = keyof PolicyLimits;
export const LIMIT_KINDS = Object.keys(PolicyLimitsSchema.shape) as LimitKind[];

/** Empty or blank names are dropped; a non-string is an error rather than silently widening a rule. */
const ToolNamesSchema = z
  .array(z.string({ error: "tool names must be strings" }), { error: "a tool rule's list must be an array of tool names" })
  .transform((names) => names.map((n) => n.trim()).filter((n) => n.length > 0));

/** One rule: `{allow: [...]}` or `{deny: [...]}`. Parsed as one object so errors point at the exact field. */
export const ToolRuleSchema = z
  .strictObject({ allow: ToolNamesSchema.optional(), deny: ToolNamesSchema.optional() })
  .refine((r) => (r.allow === undefined) !== (r.deny === undefined), {
    error: "a tool rule needs exactly one of 'allow' or 'deny'",
  })
  .transform((r) => (r.allow !== undefined ? { allow: r.allow } : { deny: r.deny ?? [] }));
export type ToolRule = z.infer<typeof ToolRuleSchema>;

export const DEFAULT_POLICY_NAME = "default";

export const PolicySchema = z
  .strictObject({
    name: z
      .string({ error: "name must be a string" })
      .trim()
      .min(1, { error: "name must not be empty" })
      .max(200)
      .default(DEFAULT_POLICY_NAME),
    limits: PolicyLimitsSchema.default({}),
    tool_rules: z.array(ToolRuleSchema, { error: "tool_rules must be an array" }).max(100).default([]),
    on_violation: OnViolationSchema.default("cancel"),
    /** What the run's processes may reach; stacked policies keep the most restrictive. */
    network: NetworkPolicySchema.optional(),
    /** Fail the run rather than run it in a sandbox that is not isolated. */
    require_isolation: z.boolean({ error: "require_isolation must be a boolean" }).default(false),
    metadata: z.record(z.string(), z.unknown(), { error: "metadata must be an object" }).default({}),
  })
  .meta({ id: "Policy" });
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** The policy with every default: no limits, no rules, cancel on violation. */
export function defaultPolicy(): Policy {
  return PolicySchema.parse({});
}

/** The policy part of a run submission: `policy` or `policies` (stacked left to right; `policies` wins). */
export const PolicyInputSchema = z.object({
  policy: PolicySchema.optional(),
  policies: z.array(PolicySchema).max(16).optional(),
});
export type PolicyInputBody = z.infer<typeof PolicyInputSchema>;

export const VIOLATION_KINDS = ["tool_denied", "budget_exceeded"] as const;
export const ViolationKindSchema = z.enum(VIOLATION_KINDS);

export const PolicyViolationSchema = z.object({
  policy: z.string(),
  kind: ViolationKindSchema,
  action: OnViolationSchema,
  details: z.record(z.string(), z.unknown()),
});
export type PolicyViolation = z.infer<typeof PolicyViolationSchema>;

/** Lowercased for comparison: tool-name matching is case-insensitive (our choice; the original was exact). */
export function toolKey(name: string): string {
  return name.trim().toLowerCase();
}

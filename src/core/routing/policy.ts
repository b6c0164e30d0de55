import { z } from "zod";
import { BreakerConfigSchema } from "./breaker";
import { DEFAULT_HEALTH_COOLDOWN_MS } from "./health";
import { DEFAULT_STICKY_TTL_MS } from "./sticky";

/**
 * The routing policy. Parsing fills every default. A per-run override (`sdk_opts.routing`) can replace
 * any field; `breaker` is merged field by field since it is one config spread over several knobs.
 */

export const CAPABILITY_TYPES = ["tool", "resource", "prompt", "sampling", "file_access", "network_access", "code_execution"] as const;
export const CapabilityTypeSchema = z.enum(CAPABILITY_TYPES, { error: `capability type must be one of: ${CAPABILITY_TYPES.join(", ")}` });

/** `{type, name}` matches type and name; `{type, name: null}` (or no name) matches the type alone. */
export const CapabilityRequirementSchema = z.object({
  type: CapabilityTypeSchema,
  name: z.string().min(1).nullable().default(null),
});
export type CapabilityRequirement = z.infer<typeof CapabilityRequirementSchema>;

export const ROUTING_STRATEGIES = ["prefer", "weighted"] as const;

const ProviderIdSchema = z.string().min(1).max(64);

/** One definition per field, without defaults, shared by the full policy and the override. */
const fields = {
  prefer: z.array(ProviderIdSchema).max(32),
  exclude: z.array(ProviderIdSchema).max(32),
  strategy: z.enum(ROUTING_STRATEGIES),
  weights: z.record(ProviderIdSchema, z.number().finite()),
  max_attempts: z.number().int().min(1).max(16),
  required_capabilities: z.array(CapabilityRequirementSchema).max(32),
  /** Bind by the session id when no explicit `sticky_session_id` is given. */
  sticky: z.boolean(),
  sticky_session_id: z.string().min(1).max(256).nullable(),
  sticky_ttl_ms: z.number().int().min(0),
  /** Health cooldown: how long a provider with recent failures is skipped. */
  cooldown_ms: z.number().int().min(0),
} as const;

const BreakerPolicySchema = BreakerConfigSchema.extend({ enabled: z.boolean().default(true) });

export const RoutingPolicySchema = z.strictObject({
  prefer: fields.prefer.default([]),
  exclude: fields.exclude.default([]),
  strategy: fields.strategy.default("prefer"),
  weights: fields.weights.default({}),
  max_attempts: fields.max_attempts.default(3),
  required_capabilities: fields.required_capabilities.default([]),
  sticky: fields.sticky.default(false),
  sticky_session_id: fields.sticky_session_id.default(null),
  sticky_ttl_ms: fields.sticky_ttl_ms.default(DEFAULT_STICKY_TTL_MS),
  cooldown_ms: fields.cooldown_ms.default(DEFAULT_HEALTH_COOLDOWN_MS),
  breaker: BreakerPolicySchema.prefault({}),
});
export type RoutingPolicy = z.infer<typeof RoutingPolicySchema>;
export type RoutingPolicyInput = z.input<typeof RoutingPolicySchema>;

export const RoutingPolicyOverrideSchema = z.strictObject({
  prefer: fields.prefer.optional(),
  exclude: fields.exclude.optional(),
  strategy: fields.strategy.optional(),
  weights: fields.weights.optional(),
  max_attempts: fields.max_attempts.optional(),
  required_capabilities: fields.required_capabilities.optional(),
  sticky: fields.sticky.optional(),
  sticky_session_id: fields.sticky_session_id.optional(),
  sticky_ttl_ms: fields.sticky_ttl_ms.optional(),
  cooldown_ms: fields.cooldown_ms.optional(),
  breaker: z
    .strictObject({
      enabled: z.boolean().optional(),
      failure_threshold: BreakerConfigSchema.shape.failure_threshold.unwrap().optional(),
      cooldown_ms: BreakerConfigSchema.shape.cooldown_ms.unwrap().optional(),
      half_open_max_probes: BreakerConfigSchema.shape.half_open_max_probes.unwrap().optional(),
    })
    .optional(),
});
export type RoutingPolicyOverride = z.infer<typeof RoutingPolicyOverrideSchema>;

/** The per-run override wins field by field; fields it leaves out keep the base value. */
export function mergeRoutingPolicy(base: RoutingPolicy, perRun: RoutingPolicyOverride | null | undefined): RoutingPolicy {
  if (!perRun) return base;
  const { breaker, ...rest } = perRun;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<RoutingPolicy>;
  const breakerDefined = Object.fromEntries(Object.entries(breaker ?? {}).filter(([, v]) => v !== undefined));
  return { ...base, ...defined, breaker: { ...base.breaker, ...breakerDefined } };
}

/** The sticky id in force: an explicit one, else the session's own id when `sticky` is on, else none. */
export function stickyIdOf(policy: RoutingPolicy, sessionId: string): string | null {
  return policy.sticky_session_id ?? (policy.sticky ? sessionId : null);
}

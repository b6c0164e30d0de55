import type { NetworkPolicy } from "../sandbox-protocol";
import { defaultPolicy, type OnViolation, type Policy, type PolicyInputBody, type PolicyLimits } from "./schema";

/** Strictness of each action: the strictest of a stack wins. */
const STRICTNESS: Record<OnViolation, number> = { warn: 0, request_approval: 1, cancel: 2 };

export function strictestAction(a: OnViolation, b: OnViolation): OnViolation {
  return STRICTNESS[b] > STRICTNESS[a] ? b : a;
}

const NAME_SEPARATOR = " + ";

/** Names are split back into parts first, so stacking a stacked policy does not repeat a name. */
function mergeNames(a: string, b: string): string {
  const parts = [...a.split(NAME_SEPARATOR), ...b.split(NAME_SEPARATOR)];
  return [...new Set(parts)].join(NAME_SEPARATOR);
}

function mergeLimits(a: PolicyLimits, b: PolicyLimits): PolicyLimits {
  const merged: PolicyLimits = { ...a };
  for (const [kind, value] of Object.entries(b) as [keyof PolicyLimits, number | undefined][]) {
    if (value !== undefined) merged[kind] = value;
  }
  return merged;
}

function stackTwo(a: Policy, b: Policy): Policy {
  const network = narrowestNetwork(a.network, b.network);
  return {
    name: mergeNames(a.name, b.name),
    limits: mergeLimits(a.limits, b.limits),
    tool_rules: [...a.tool_rules, ...b.tool_rules],
    on_violation: strictestAction(a.on_violation, b.on_violation),
    ...(network !== undefined ? { network } : {}),
    require_isolation: a.require_isolation || b.require_isolation,
    metadata: { ...a.metadata, ...b.metadata },
  };
}

/**
 * The most restrictive of two network settings (unset means "no opinion"): `none` beats an allow list, which beats
 * `all`; two allow lists keep only the hosts both name (none left: `none`).
 */
export function narrowestNetwork(a: NetworkPolicy | undefined, b: NetworkPolicy | undefined): NetworkPolicy | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === "none" || b === "none") return "none";
  if (a === "all") return b;
  if (b === "all") return a;
  const both = a.allow.filter((host) => b.allow.some((other) => other.toLowerCase() === host.toLowerCase()));
  return both.length > 0 ? { allow: both } : "none";
}

/** Merges policies left to right. An empty stack is the default policy. */
export function stackPolicies(policies: readonly Policy[]): Policy {
  const [first, ...rest] = policies;
  if (!first) return defaultPolicy();
  return rest.reduce(stackTwo, {
    ...first,
    limits: { ...first.limits },
    tool_rules: [...first.tool_rules],
    metadata: { ...first.metadata },
  });
}

/** The effective policy of a parsed submission: `policies` (stacked) wins over `policy`; neither → null. */
export function resolvePolicy(input: PolicyInputBody): Policy | null {
  if (input.policies !== undefined) return input.policies.length > 0 ? stackPolicies(input.policies) : null;
  return input.policy ?? null;
}

import { toolKey, type Policy } from "./schema";

/** Hints for adapters that can enforce a policy at the source. Runtime enforcement still runs. */
export type PolicyHints = { allowed_tools?: string[]; denied_tools?: string[]; max_tokens?: number };

/** Names deduplicated case-insensitively, keeping the first spelling seen. */
function uniqueNames(names: Iterable<string>): string[] {
  const seen = new Map<string, string>();
  for (const name of names) if (!seen.has(toolKey(name))) seen.set(toolKey(name), name);
  return [...seen.values()];
}

/**
 * deny → denied_tools, allow → allowed_tools (the union of all allow lists), max_total_tokens → max_tokens.
 * Duration, tool-call and cost limits are enforced reactively only.
 */
export function compileHints(policy: Policy): PolicyHints {
  const allow: string[] = [];
  const deny: string[] = [];
  let hasAllow = false;
  for (const rule of policy.tool_rules) {
    if (rule.allow !== undefined) {
      hasAllow = true;
      allow.push(...rule.allow);
    } else {
      deny.push(...rule.deny);
    }
  }
  const hints: PolicyHints = {};
  if (hasAllow) hints.allowed_tools = uniqueNames(allow);
  if (deny.length > 0) hints.denied_tools = uniqueNames(deny);
  const maxTokens = policy.limits.max_total_tokens;
  if (maxTokens !== undefined && maxTokens > 0) hints.max_tokens = maxTokens;
  return hints;
}

import type { CapabilityRequirement, RoutingPolicy } from "./policy";

/**
 * Candidate selection: capability filter, then ordering by strategy. Health and circuit filters run
 * after ordering, in the router, because they need the shared state.
 */

export type CapabilityLike = { readonly type: string; readonly name: string };

export function meetsRequirement(capabilities: readonly CapabilityLike[], req: CapabilityRequirement): boolean {
  return capabilities.some((c) => c.type === req.type && (req.name === null || c.name === req.name));
}

export function meetsRequirements(capabilities: readonly CapabilityLike[], reqs: readonly CapabilityRequirement[]): boolean {
  return reqs.every((req) => meetsRequirement(capabilities, req));
}

/** Ids whose capabilities satisfy every requirement, in the given order. */
export function filterByCapabilities(
  candidates: readonly { id: string; capabilities: readonly CapabilityLike[] }[],
  reqs: readonly CapabilityRequirement[],
): string[] {
  return candidates.filter((c) => meetsRequirements(c.capabilities, reqs)).map((c) => c.id);
}

export const FAILURE_PENALTY = 0.5;
export const DEFAULT_WEIGHT = 1.0;

type OrderPolicy = Pick<RoutingPolicy, "prefer" | "exclude" | "strategy" | "weights">;

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Position in `prefer`; ids not in it rank after every preferred one. */
function preferRank(prefer: readonly string[], id: string): number {
  const i = prefer.indexOf(id);
  return i === -1 ? Number.POSITIVE_INFINITY : i;
}

/** weight − 0.5 × recent failures, weight 1.0 unless set. */
export function weightedScore(id: string, weights: Readonly<Record<string, number>>, failures: number): number {
  return (weights[id] ?? DEFAULT_WEIGHT) - FAILURE_PENALTY * failures;
}

/**
 * Excluded ids are dropped. `prefer`: preferred ids first in prefer order, the rest by id. `weighted`: by score
 * descending, ties by position in `prefer` (others last), then by id. Duplicates in the input are kept once.
 */
export function orderCandidates(ids: readonly string[], policy: OrderPolicy, failures: Readonly<Record<string, number>> = {}): string[] {
  const excluded = new Set(policy.exclude);
  const pool = [...new Set(ids)].filter((id) => !excluded.has(id));
  const rank = (id: string) => preferRank(policy.prefer, id);
  if (policy.strategy === "prefer") {
    return pool.sort((a, b) => {
      const ra = rank(a),
        rb = rank(b);
      if (ra !== rb) return ra < rb ? -1 : 1;
      return byId(a, b);
    });
  }
  const score = new Map(pool.map((id) => [id, weightedScore(id, policy.weights, failures[id] ?? 0)]));
  return pool.sort((a, b) => {
    const sa = score.get(a) ?? 0,
      sb = score.get(b) ?? 0;
    if (sa !== sb) return sb - sa;
    const ra = rank(a),
      rb = rank(b);
    if (ra !== rb) return ra < rb ? -1 : 1;
    return byId(a, b);
  });
}

import { pricingFor, type PricingTable, type Rates } from "./models";

/**
 * Cost of a run from its token usage. Rates are USD per million tokens (see ./models.ts).
 *
 * Resolution order for a model id: exact → the id without a date suffix → longest prefix → provider default.
 * No rates at all (an unknown provider, or a table without a default) is `null`, the original's `no_rates`.
 */

export type RateTier = "exact" | "dated" | "prefix" | "default";
export type ResolvedRates = { rates: Rates; tier: RateTier /** The table key that matched; null for the default. */; key: string | null };

/** Dated snapshots: `-20250929` (Anthropic), `-2025-04-14` (OpenAI), `@20250514` (Vertex). */
const DATE_SUFFIX = /(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2})$/;

export function stripDateSuffix(model: string): string {
  return model.replace(DATE_SUFFIX, "");
}

export function resolveRates(provider: string, model: string | null | undefined, table?: PricingTable): ResolvedRates | null {
  const pricing = pricingFor(provider, table);
  if (!pricing) return null;
  const models = pricing.models ?? {};
  const id = (model ?? "").trim().toLowerCase();
  if (id !== "") {
    const exact = models[id];
    if (exact) return { rates: exact, tier: "exact", key: id };
    const undated = stripDateSuffix(id);
    const dated = undated !== id ? models[undated] : undefined;
    if (dated) return { rates: dated, tier: "dated", key: undated };
    const prefix = longestPrefix(Object.keys(models), id);
    if (prefix !== null) return { rates: models[prefix]!, tier: "prefix", key: prefix };
  }
  return pricing.default ? { rates: pricing.default, tier: "default", key: null } : null;
}

function longestPrefix(keys: string[], id: string): string | null {
  let best: string | null = null;
  for (const key of keys) {
    if (id.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return best;
}

export type UsageForCost = { input: number; output: number; cache_read: number; cache_creation: number };

/**
 * Prices are held as integers of 1e-6 USD per million tokens (pico-dollars per token) and multiplied in BigInt,
 * so the sum is exact; the single division at the end gives the double nearest to the true decimal, never a
 * value that drifts at the cent as summed float products do (0.1 + 0.2 style).
 */
const SCALE = 1_000_000n;
const PICO_PER_USD = 1e12;

function scaled(ratePerMillion: number): bigint {
  return BigInt(Math.round(ratePerMillion * Number(SCALE)));
}

function tokens(count: number): bigint {
  return Number.isFinite(count) && count > 0 ? BigInt(Math.trunc(count)) : 0n;
}

/** USD cost of `usage` under exact rates: in × in_rate + out × out_rate + cache tokens at their rates (or in_rate). */
export function costFromRates(rates: Rates, usage: UsageForCost): number {
  const pico =
    tokens(usage.input) * scaled(rates.input) +
    tokens(usage.output) * scaled(rates.output) +
    tokens(usage.cache_read) * scaled(rates.cache_read ?? rates.input) +
    tokens(usage.cache_creation) * scaled(rates.cache_creation ?? rates.input);
  return Number(pico) / PICO_PER_USD;
}

/** The cost of a run in USD, or null when the provider has no rates (`no_rates`). */
export function costOf(provider: string, model: string | null | undefined, usage: UsageForCost, table?: PricingTable): number | null {
  const resolved = resolveRates(provider, model, table);
  return resolved ? costFromRates(resolved.rates, usage) : null;
}

/** run.cost_usd at finalization: a cost the provider reported itself wins when it is > 0; else ours; else null. */
export function finalCost(reported: number | null | undefined, computed: number | null): number | null {
  if (typeof reported === "number" && Number.isFinite(reported) && reported > 0) return reported;
  return computed;
}

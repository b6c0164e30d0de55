import { z } from "zod";
import { AppError } from "./errors";

/**
 * The model registry: which providers we know, which pricing table each one reads, its default model, and the
 * built-in prices. Every price here is USD per **million** tokens (the unit vendors publish), so the table can be
 * checked against a pricing page at a glance. Cost arithmetic lives in ./cost.ts.
 */

export const PROVIDER_NAMES = ["anthropic", "openai", "claude-code", "codex", "amp", "shell"] as const;
export const ProviderNameSchema = z.enum(PROVIDER_NAMES);
export type ProviderName = z.infer<typeof ProviderNameSchema>;

/** Providers that bill from the same price list share a family: the API and its CLI agent are the same models. */
export const PRICING_FAMILIES = ["claude", "openai", "amp", "shell"] as const;
export const PricingFamilySchema = z.enum(PRICING_FAMILIES);
export type PricingFamily = z.infer<typeof PricingFamilySchema>;

const FAMILY_OF: Record<ProviderName, PricingFamily> = {
  anthropic: "claude",
  "claude-code": "claude",
  openai: "openai",
  codex: "openai",
  amp: "amp",
  shell: "shell",
};

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === "string" && (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** The pricing family of a provider, or null for a provider we have no prices for. */
export function pricingFamily(provider: string): PricingFamily | null {
  return isProviderName(provider) ? FAMILY_OF[provider] : null;
}

const UsdPerMillion = z
  .number()
  .finite()
  .min(0, "a price cannot be negative")
  .max(100_000, "a price above $100,000 per million tokens is surely a unit mistake");

/** Per-million-token USD rates. Cache rates are optional: without them cache tokens bill at the input rate. */
export const RatesSchema = z.strictObject({
  input: UsdPerMillion,
  output: UsdPerMillion,
  cache_read: UsdPerMillion.optional(),
  cache_creation: UsdPerMillion.optional(),
});
export type Rates = z.infer<typeof RatesSchema>;

const ModelIdSchema = z.string().trim().min(1).max(128);

/** One provider's (or family's) prices: fallback rates and per-model rates, model ids matched case-insensitively. */
export const ProviderPricingSchema = z
  .strictObject({
    default: RatesSchema.optional(),
    models: z.record(ModelIdSchema, RatesSchema).optional(),
  })
  .transform((p) => ({
    default: p.default,
    models: p.models ? Object.fromEntries(Object.entries(p.models).map(([id, r]) => [id.toLowerCase(), r])) : undefined,
  }));
export type ProviderPricing = z.infer<typeof ProviderPricingSchema>;

/** The original also took a flat `{input, output}` per provider; it means "these are the default rates". */
function liftFlatForm(value: unknown): unknown {
  const isFlat =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    "input" in value &&
    !("default" in value) &&
    !("models" in value);
  return isFlat ? { default: value } : value;
}

/**
 * A user-supplied pricing override: keys are provider names (`codex`) or family names (`openai`); a provider entry
 * wins over its family entry, which wins over the built-in table. Entries merge model by model.
 * Example: `{"claude": {"models": {"claude-sonnet-4-5": {"input": 3, "output": 15}}}, "amp": {"input": 2, "output": 10}}`.
 */
export const PricingTableSchema = z.partialRecord(
  // A typo'd key is rejected ("Unrecognized key") rather than silently pricing nothing.
  z.enum([...PROVIDER_NAMES, ...PRICING_FAMILIES.filter((f) => !(PROVIDER_NAMES as readonly string[]).includes(f))]),
  z.preprocess(liftFlatForm, ProviderPricingSchema),
);
export type PricingTable = z.infer<typeof PricingTableSchema>;
export type PricingKey = keyof PricingTable;

/** The seed's fallback for an unknown model of a priced family ($3 / $15 per million). */
const SEED_DEFAULT: Rates = { input: 3, output: 15 };

// Claude list prices. Opus 4.5 and later cost $5/$25, older Opus $15/$75; Haiku 4.5 is $1/$5, Haiku 3.5 $0.80/$4.
const OPUS_NEW: Rates = { input: 5, output: 25, cache_read: 0.5, cache_creation: 6.25 };
const OPUS_OLD: Rates = { input: 15, output: 75, cache_read: 1.5, cache_creation: 18.75 };
const SONNET: Rates = { input: 3, output: 15, cache_read: 0.3, cache_creation: 3.75 };
const CLAUDE_MODELS: Record<string, Rates> = {
  "claude-opus-4-8": OPUS_NEW,
  "claude-opus-4-7": OPUS_NEW,
  "claude-opus-4-6": OPUS_NEW,
  "claude-opus-4-5": OPUS_NEW,
  "claude-opus-4-1": OPUS_OLD,
  "claude-opus-4": OPUS_OLD,
  "claude-3-opus": OPUS_OLD,
  "claude-sonnet-4-6": SONNET,
  "claude-sonnet-4-5": SONNET,
  "claude-sonnet-4": SONNET,
  "claude-3-7-sonnet": SONNET,
  "claude-3-5-sonnet": SONNET,
  "claude-haiku-4-5": { input: 1, output: 5, cache_read: 0.1, cache_creation: 1.25 },
  "claude-3-5-haiku": { input: 0.8, output: 4, cache_read: 0.08, cache_creation: 1 },
  "claude-3-haiku": { input: 0.25, output: 1.25, cache_read: 0.03, cache_creation: 0.3 },
};

// OpenAI list prices. Cached input is `cache_read`; OpenAI charges nothing extra to write its cache, so
// cache_creation is left to fall back to the input rate (adapters report 0 such tokens anyway).
const OPENAI_MODELS: Record<string, Rates> = {
  "gpt-5": { input: 1.25, output: 10, cache_read: 0.125 },
  "gpt-5-codex": { input: 1.25, output: 10, cache_read: 0.125 },
  "gpt-5-mini": { input: 0.25, output: 2, cache_read: 0.025 },
  "gpt-5-nano": { input: 0.05, output: 0.4, cache_read: 0.005 },
  "gpt-4.1": { input: 2, output: 8, cache_read: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cache_read: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cache_read: 0.025 },
  "gpt-4o": { input: 2.5, output: 10, cache_read: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cache_read: 0.075 },
  o1: { input: 15, output: 60, cache_read: 7.5 },
  o3: { input: 2, output: 8, cache_read: 0.5 },
  "o3-pro": { input: 20, output: 80 },
  "o3-mini": { input: 1.1, output: 4.4, cache_read: 0.55 },
  "o4-mini": { input: 1.1, output: 4.4, cache_read: 0.275 },
  "codex-mini-latest": { input: 1.5, output: 6, cache_read: 0.375 },
};

/** The built-in table, one entry per family. Frozen: overrides are merged into copies, never into this. */
export const BUILTIN_PRICING: Readonly<Record<PricingFamily, ProviderPricing>> = Object.freeze({
  claude: { default: SEED_DEFAULT, models: CLAUDE_MODELS },
  openai: { default: SEED_DEFAULT, models: OPENAI_MODELS },
  amp: { default: SEED_DEFAULT, models: {} },
  // Shell commands call no model: every token (there are none) is free.
  shell: { default: { input: 0, output: 0, cache_read: 0, cache_creation: 0 }, models: {} },
});

/**
 * The model a run uses when it names none. Null where the provider picks for itself (Amp chooses its own model)
 * or calls no model at all (shell).
 */
const DEFAULT_MODELS: Record<ProviderName, string | null> = {
  // claude-sonnet-4-5 reaches end of life on 2026-11-30 (the SDK warns when it is used).
  anthropic: "claude-sonnet-4-6",
  "claude-code": "claude-sonnet-4-6",
  openai: "gpt-4.1",
  codex: "gpt-5-codex",
  amp: null,
  shell: null,
};

export function defaultModel(provider: string): string | null {
  return isProviderName(provider) ? DEFAULT_MODELS[provider] : null;
}

/** The model ids we have built-in prices for, for a provider (e.g. for GET /providers). */
export function knownModels(provider: string): string[] {
  const family = pricingFamily(provider);
  return family ? Object.keys(BUILTIN_PRICING[family].models ?? {}) : [];
}

/**
 * The effective pricing of one provider: built-in family table, then the override's family entry, then its
 * provider entry. Model maps merge key by key so an override can add or reprice one model without restating all.
 */
export function pricingFor(provider: string, overrides?: PricingTable): ProviderPricing | null {
  const family = pricingFamily(provider);
  if (!family) return null;
  const layers = [BUILTIN_PRICING[family], overrides?.[family], family === provider ? undefined : overrides?.[provider as PricingKey]];
  let merged: ProviderPricing = { default: undefined, models: {} };
  for (const layer of layers) {
    if (!layer) continue;
    merged = { default: layer.default ?? merged.default, models: { ...merged.models, ...layer.models } };
  }
  return merged;
}

/** Parses a pricing override from configuration text (JSON); absent or blank means "built-in prices only". */
export function parsePricingTable(text: string | null | undefined): PricingTable | undefined {
  if (text == null || text.trim() === "") return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError("validation_error", "pricing table: not valid JSON");
  }
  const parsed = PricingTableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("validation_error", `pricing table: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costFromRates, costOf, finalCost, resolveRates, stripDateSuffix } from "../../src/core/cost";
import { PricingTableSchema } from "../../src/core/models";
import type { TokenUsage } from "../../src/core/usage";

const usage = (u: Partial<{ input: number; output: number; cache_read: number; cache_creation: number }>) => ({
  input: 0,
  output: 0,
  cache_read: 0,
  cache_creation: 0,
  ...u,
});

describe("stripDateSuffix", () => {
  it.each([
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["gpt-4.1-2025-04-14", "gpt-4.1"],
    ["claude-opus-4-1@20250805", "claude-opus-4-1"],
    ["claude-sonnet-4-5", "claude-sonnet-4-5"],
    ["o3-mini", "o3-mini"],
    ["model-2025", "model-2025"],
  ])("%s → %s", (id, stripped) => expect(stripDateSuffix(id)).toBe(stripped));
});

describe("resolveRates", () => {
  it("tier 1: the exact id", () => {
    expect(resolveRates("anthropic", "claude-haiku-4-5")).toMatchObject({
      tier: "exact",
      key: "claude-haiku-4-5",
      rates: { input: 1, output: 5 },
    });
    expect(resolveRates("openai", "gpt-4o-mini")).toMatchObject({ tier: "exact", key: "gpt-4o-mini", rates: { input: 0.15, output: 0.6 } });
  });

  it("matches ids case-insensitively", () => {
    expect(resolveRates("anthropic", "  Claude-Sonnet-4-5 ")).toMatchObject({ tier: "exact", key: "claude-sonnet-4-5" });
  });

  it("tier 2: the id without its date suffix, in each vendor's style", () => {
    expect(resolveRates("claude-code", "claude-sonnet-4-5-20250929")).toMatchObject({ tier: "dated", key: "claude-sonnet-4-5" });
    expect(resolveRates("openai", "gpt-4.1-2025-04-14")).toMatchObject({ tier: "dated", key: "gpt-4.1", rates: { input: 2, output: 8 } });
    expect(resolveRates("anthropic", "claude-opus-4-1@20250805")).toMatchObject({
      tier: "dated",
      key: "claude-opus-4-1",
      rates: { input: 15 },
    });
    expect(resolveRates("codex", "gpt-4o-mini-2024-07-18")).toMatchObject({ tier: "dated", key: "gpt-4o-mini" });
  });

  it("tries the undated id before the longest prefix", () => {
    const table = PricingTableSchema.parse({ openai: { models: { "gpt-4.1-2": { input: 99, output: 99 } } } });
    expect(resolveRates("openai", "gpt-4.1-2025-04-14", table)).toMatchObject({ tier: "dated", key: "gpt-4.1" });
    expect(resolveRates("openai", "gpt-4.1-2x", table)).toMatchObject({ tier: "prefix", key: "gpt-4.1-2" });
  });

  it("tier 3: the longest prefix", () => {
    expect(resolveRates("anthropic", "claude-sonnet-4-9")).toMatchObject({ tier: "prefix", key: "claude-sonnet-4" });
    expect(resolveRates("anthropic", "claude-sonnet-4-6")).toMatchObject({ tier: "exact", key: "claude-sonnet-4-6" });
    expect(resolveRates("openai", "gpt-4o-mini-search-preview")).toMatchObject({ tier: "prefix", key: "gpt-4o-mini" });
    expect(resolveRates("openai", "gpt-5.1")).toMatchObject({ tier: "prefix", key: "gpt-5" });
    expect(resolveRates("anthropic", "claude-3-5-haiku-latest")).toMatchObject({ tier: "prefix", key: "claude-3-5-haiku" });
  });

  it("tier 4: the provider's default for an unknown or absent model", () => {
    expect(resolveRates("anthropic", "mystery-model")).toMatchObject({ tier: "default", key: null, rates: { input: 3, output: 15 } });
    expect(resolveRates("codex", null)).toMatchObject({ tier: "default", rates: { input: 3, output: 15 } });
    expect(resolveRates("amp", "claude-sonnet-4-5")).toMatchObject({ tier: "default" });
    expect(resolveRates("shell", undefined)).toMatchObject({ tier: "default", rates: { input: 0, output: 0 } });
  });

  it("none: a provider without rates", () => {
    expect(resolveRates("gemini", "gemini-2.5-pro")).toBeNull();
    expect(costOf("gemini", "gemini-2.5-pro", usage({ input: 10 }))).toBeNull();
  });

  it("lets an override table reprice a model, add one, or change a default", () => {
    const table = PricingTableSchema.parse({
      claude: { models: { "claude-haiku-4-5": { input: 2, output: 4 }, "house-model": { input: 1, output: 1 } } },
      amp: { input: 1, output: 2 },
    });
    expect(resolveRates("anthropic", "claude-haiku-4-5", table)?.rates).toEqual({ input: 2, output: 4 });
    expect(resolveRates("claude-code", "house-model-v2", table)).toMatchObject({ tier: "prefix", key: "house-model" });
    expect(resolveRates("amp", null, table)?.rates).toEqual({ input: 1, output: 2 });
  });
});

describe("costOf", () => {
  it("prices a Sonnet 4.5 run with cache tokens to the cent", () => {
    // 1M in × $3 + 0.5M out × $15 + 2M cache reads × $0.30 + 0.1M cache writes × $3.75
    expect(
      costOf(
        "anthropic",
        "claude-sonnet-4-5-20250929",
        usage({ input: 1_000_000, output: 500_000, cache_read: 2_000_000, cache_creation: 100_000 }),
      ),
    ).toBe(11.475);
  });

  it("prices Opus 4.6 at its current list price", () => {
    // 10k × $5 + 2k × $25 + 50k × $0.50 + 8k × $6.25 (per million)
    expect(
      costOf("claude-code", "claude-opus-4-6", usage({ input: 10_000, output: 2_000, cache_read: 50_000, cache_creation: 8_000 })),
    ).toBe(0.175);
  });

  it("bills cache tokens at the input rate when a model has no cache rates", () => {
    const table = PricingTableSchema.parse({ openai: { models: { plain: { input: 2, output: 8 } } } });
    expect(costOf("openai", "plain", usage({ cache_read: 1_000_000, cache_creation: 500_000 }), table)).toBe(3);
    // o3-pro has no cache rates built in: 1M cache reads cost like 1M input.
    expect(costOf("openai", "o3-pro", usage({ cache_read: 1_000_000 }))).toBe(costOf("openai", "o3-pro", usage({ input: 1_000_000 })));
  });

  it("returns the exact decimal where summed float products drift", () => {
    // Naive float sums give 0.0000036749999999999995, 0.0024943999999999995 and 0.000006300000000000001.
    expect(costOf("openai", "gpt-4o-mini", usage({ input: 7, output: 3, cache_read: 11 }))).toBe(0.000003675);
    expect(costOf("anthropic", "claude-haiku-4-5", usage({ input: 123, output: 456, cache_read: 789, cache_creation: 10 }))).toBe(
      0.0024944,
    );
    expect(costOf("openai", "gpt-4.1-mini", usage({ input: 3, output: 3, cache_read: 3 }))).toBe(0.0000063);
  });

  it("is zero for shell and for no tokens", () => {
    expect(costOf("shell", null, usage({ input: 5_000, output: 9_000 }))).toBe(0);
    expect(costOf("anthropic", "claude-sonnet-4-5", usage({}))).toBe(0);
  });

  it("ignores a `total` field and treats nonsense counts as zero", () => {
    const runUsage: TokenUsage = { input: 1_000_000, output: 0, cache_read: 0, cache_creation: 0, total: 99 };
    expect(costOf("anthropic", "claude-sonnet-4-5", runUsage)).toBe(3);
    expect(costFromRates({ input: 3, output: 15 }, usage({ input: -5, output: Number.NaN }))).toBe(0);
  });

  it("is additive over usage, to the picodollar", () => {
    const counts = fc.record({
      input: fc.nat(5_000_000),
      output: fc.nat(5_000_000),
      cache_read: fc.nat(5_000_000),
      cache_creation: fc.nat(5_000_000),
    });
    const models = fc.constantFrom("claude-sonnet-4-5", "claude-haiku-4-5", "claude-3-5-haiku", "claude-opus-4-6");
    fc.assert(
      fc.property(counts, counts, models, (a, b, model) => {
        const sum = usage({
          input: a.input + b.input,
          output: a.output + b.output,
          cache_read: a.cache_read + b.cache_read,
          cache_creation: a.cache_creation + b.cache_creation,
        });
        const whole = costOf("anthropic", model, sum)!;
        const parts = costOf("anthropic", model, a)! + costOf("anthropic", model, b)!;
        expect(Math.round(whole * 1e12)).toBe(Math.round(parts * 1e12));
      }),
    );
  });
});

describe("finalCost", () => {
  it("prefers a positive provider-reported cost", () => {
    expect(finalCost(0.42, 0.4)).toBe(0.42);
    expect(finalCost(0.42, null)).toBe(0.42);
  });

  it("falls back to the computed cost when nothing positive was reported", () => {
    expect(finalCost(0, 0.4)).toBe(0.4);
    expect(finalCost(null, 0.4)).toBe(0.4);
    expect(finalCost(undefined, 0.4)).toBe(0.4);
    expect(finalCost(-1, 0.4)).toBe(0.4);
    expect(finalCost(Number.NaN, 0.4)).toBe(0.4);
  });

  it("is null when neither exists", () => {
    expect(finalCost(undefined, null)).toBeNull();
    expect(finalCost(0, null)).toBeNull();
  });
});

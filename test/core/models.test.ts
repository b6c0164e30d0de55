import { describe, expect, it } from "vitest";
import { AppError } from "../../src/core/errors";
import {
  BUILTIN_PRICING,
  PRICING_FAMILIES,
  PROVIDER_NAMES,
  PricingTableSchema,
  defaultModel,
  knownModels,
  parsePricingTable,
  pricingFamily,
  pricingFor,
} from "../../src/core/models";

describe("provider families", () => {
  it("maps the API and its CLI agent to one price list", () => {
    expect(pricingFamily("anthropic")).toBe("claude");
    expect(pricingFamily("claude-code")).toBe("claude");
    expect(pricingFamily("openai")).toBe("openai");
    expect(pricingFamily("codex")).toBe("openai");
    expect(pricingFamily("amp")).toBe("amp");
    expect(pricingFamily("shell")).toBe("shell");
    expect(pricingFamily("gemini")).toBeNull();
  });

  it("lists the same built-in models for providers of one family", () => {
    expect(knownModels("claude-code")).toEqual(knownModels("anthropic"));
    expect(knownModels("codex")).toEqual(knownModels("openai"));
    expect(knownModels("shell")).toEqual([]);
    expect(knownModels("nope")).toEqual([]);
  });

  it("has prices for the current Claude and OpenAI models", () => {
    for (const id of [
      "claude-opus-4-1",
      "claude-opus-4-6",
      "claude-sonnet-4-5",
      "claude-sonnet-4",
      "claude-haiku-4-5",
      "claude-3-5-haiku",
    ]) {
      expect(knownModels("anthropic")).toContain(id);
    }
    for (const id of ["gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o3", "o3-mini", "o4-mini"]) {
      expect(knownModels("openai")).toContain(id);
    }
  });

  it("gives a default model per provider, priced by its own table", () => {
    for (const provider of PROVIDER_NAMES) {
      const model = defaultModel(provider);
      if (model !== null) expect(knownModels(provider)).toContain(model);
    }
    expect(defaultModel("anthropic")).toMatch(/^claude-/);
    expect(defaultModel("codex")).toMatch(/^gpt-/);
    expect(defaultModel("shell")).toBeNull();
    expect(defaultModel("unknown")).toBeNull();
  });
});

describe("built-in price table", () => {
  it("keeps cache reads cheaper than input and output dearer than input, for every model", () => {
    for (const family of PRICING_FAMILIES) {
      for (const [id, rates] of Object.entries(BUILTIN_PRICING[family].models ?? {})) {
        expect(rates.output, id).toBeGreaterThan(rates.input);
        if (rates.cache_read !== undefined) expect(rates.cache_read, id).toBeLessThan(rates.input);
        if (rates.cache_creation !== undefined) expect(rates.cache_creation, id).toBeGreaterThanOrEqual(rates.input);
        expect(id, "model keys are lower-case so lookups can be case-insensitive").toBe(id.toLowerCase());
      }
    }
  });

  it("prices shell at zero and gives every priced family a default", () => {
    expect(BUILTIN_PRICING.shell.default).toEqual({ input: 0, output: 0, cache_read: 0, cache_creation: 0 });
    for (const family of PRICING_FAMILIES) expect(BUILTIN_PRICING[family].default).toBeDefined();
  });
});

describe("PricingTableSchema", () => {
  it("accepts the nested form and lower-cases model ids", () => {
    const table = PricingTableSchema.parse({
      claude: { default: { input: 2, output: 9 }, models: { "Claude-X": { input: 1, output: 2, cache_read: 0.1 } } },
    });
    expect(table.claude).toEqual({ default: { input: 2, output: 9 }, models: { "claude-x": { input: 1, output: 2, cache_read: 0.1 } } });
  });

  it("reads the flat form as the provider's default rates", () => {
    expect(PricingTableSchema.parse({ amp: { input: 2, output: 10 } }).amp).toEqual({
      default: { input: 2, output: 10 },
      models: undefined,
    });
  });

  it.each([
    [{ clade: { input: 1, output: 2 } }, "clade"],
    [{ openai: { input: -1, output: 2 } }, "negative"],
    [{ codex: { default: { input: 1, output: 1 }, extra: 1 } }, "extra"],
    [{ anthropic: { models: { x: { input: 1 } } } }, "output"],
    [{ anthropic: { models: { x: { input: 1, output: 1, cache_write: 1 } } } }, "cache_write"],
  ])("rejects %j", (input, mentioned) => {
    const result = PricingTableSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(mentioned);
  });
});

describe("pricingFor", () => {
  it("layers built-in, family override, then provider override, model by model", () => {
    const table = PricingTableSchema.parse({
      openai: { models: { "gpt-4o": { input: 9, output: 9 }, "my-model": { input: 1, output: 1 } } },
      codex: { default: { input: 7, output: 7 }, models: { "gpt-4o": { input: 8, output: 8 } } },
    });
    const openai = pricingFor("openai", table)!;
    const codex = pricingFor("codex", table)!;
    expect(openai.models?.["gpt-4o"]).toEqual({ input: 9, output: 9 });
    expect(openai.models?.["gpt-4o-mini"]).toEqual(BUILTIN_PRICING.openai.models?.["gpt-4o-mini"]);
    expect(openai.default).toEqual(BUILTIN_PRICING.openai.default);
    expect(codex.models?.["gpt-4o"]).toEqual({ input: 8, output: 8 });
    expect(codex.models?.["my-model"]).toEqual({ input: 1, output: 1 });
    expect(codex.default).toEqual({ input: 7, output: 7 });
    expect(pricingFor("anthropic", table)).toEqual(pricingFor("anthropic"));
    expect(pricingFor("gemini", table)).toBeNull();
  });

  it("never changes the built-in table", () => {
    const before = JSON.stringify(BUILTIN_PRICING);
    pricingFor("openai", PricingTableSchema.parse({ openai: { models: { "gpt-4o": { input: 1, output: 1 } } } }));
    expect(JSON.stringify(BUILTIN_PRICING)).toBe(before);
  });
});

describe("parsePricingTable", () => {
  it("treats absent or blank text as no override", () => {
    expect(parsePricingTable(undefined)).toBeUndefined();
    expect(parsePricingTable("  ")).toBeUndefined();
  });

  it("parses JSON text into a table", () => {
    expect(parsePricingTable('{"amp":{"input":2,"output":10}}')?.amp?.default).toEqual({ input: 2, output: 10 });
  });

  it("fails with a validation_error naming the bad path", () => {
    expect(() => parsePricingTable("{nope")).toThrow(AppError);
    try {
      parsePricingTable('{"claude":{"models":{"x":{"input":"3","output":15}}}}');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe("validation_error");
      expect((e as AppError).message).toContain("claude.models.x.input");
    }
  });
});

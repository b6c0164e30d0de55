import { z } from "zod";

export const TokenUsageSchema = z
  .object({
    input: z.number().int().min(0),
    output: z.number().int().min(0),
    cache_read: z.number().int().min(0),
    cache_creation: z.number().int().min(0),
    total: z.number().int().min(0),
  })
  .meta({ id: "TokenUsage" });
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

export const EMPTY_USAGE: TokenUsage = Object.freeze({ input: 0, output: 0, cache_read: 0, cache_creation: 0, total: 0 });

export function addUsage(a: TokenUsage, b: Partial<TokenUsage>): TokenUsage {
  const input = a.input + (b.input ?? 0);
  const output = a.output + (b.output ?? 0);
  const cache_read = a.cache_read + (b.cache_read ?? 0);
  const cache_creation = a.cache_creation + (b.cache_creation ?? 0);
  return { input, output, cache_read, cache_creation, total: input + output + cache_read + cache_creation };
}

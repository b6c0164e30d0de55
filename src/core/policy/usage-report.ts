/**
 * Reads a `token_usage_updated` payload. Adapters differ in key style (`input_tokens` or `input`,
 * `cache_read_tokens` or `cache_read`); both are accepted. Counts are deltas, as in the original, unless
 * the event says `cumulative: true`; `total_tokens`, when present, is a run total.
 */
export type UsageCounts = { input: number; output: number; cache_read: number; cache_creation: number };
export type UsageReport = UsageCounts & { total: number | null; cumulative: boolean };

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.trunc(value) : 0;
}

function first(data: Record<string, unknown>, ...keys: string[]): unknown {
  for (const key of keys) if (data[key] !== undefined && data[key] !== null) return data[key];
  return undefined;
}

export function readUsageReport(data: Record<string, unknown>): UsageReport {
  const total = first(data, "total_tokens", "total");
  return {
    input: count(first(data, "input_tokens", "input")),
    output: count(first(data, "output_tokens", "output")),
    cache_read: count(first(data, "cache_read_tokens", "cache_read", "cache_read_input_tokens")),
    cache_creation: count(first(data, "cache_creation_tokens", "cache_creation", "cache_creation_input_tokens")),
    total: typeof total === "number" && Number.isFinite(total) && total >= 0 ? Math.trunc(total) : null,
    cumulative: data.cumulative === true,
  };
}

export function addCounts(a: UsageCounts, b: UsageCounts): UsageCounts {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cache_read: a.cache_read + b.cache_read,
    cache_creation: a.cache_creation + b.cache_creation,
  };
}

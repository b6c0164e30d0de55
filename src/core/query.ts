import { z } from "zod";
import { EventTypeSchema } from "./event-types";
import { RunStatusSchema } from "./run";

/** Cross-session query parameters (read from D1, tenant-scoped). Limits are strict: 1..1000. */
export const csv = <T extends z.ZodType>(item: T) =>
  z
    .string()
    .max(2000)
    .transform((s, ctx) => {
      const parts = s
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean);
      const out: z.infer<T>[] = [];
      for (const p of parts) {
        const r = item.safeParse(p);
        if (!r.success) {
          ctx.addIssue({ code: "custom", message: `invalid value '${p}'` });
          return z.NEVER;
        }
        out.push(r.data as z.infer<T>);
      }
      return out;
    });

const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

/**
 * Run orders. The seed's names are accepted too: `started_at_desc`/`started_at_asc` order by when the run started
 * (a run not started yet sorts by its queued time), `token_usage_desc` is `total_tokens_desc`.
 */
export const RUN_ORDERS = [
  "queued_at_desc",
  "queued_at_asc",
  "total_tokens_desc",
  "started_at_desc",
  "started_at_asc",
  "token_usage_desc",
] as const;
export type RunOrder = (typeof RUN_ORDERS)[number];

export const QueryRunsSchema = z
  .object({
    provider: csv(z.string().min(1).max(64)).optional(),
    status: csv(RunStatusSchema).optional(),
    session_id: z.string().min(1).max(128).optional(),
    model: z.string().min(1).max(128).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    min_tokens: z.coerce.number().int().min(0).optional(),
    order_by: z.enum(RUN_ORDERS).default("queued_at_desc"),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    cursor: z.string().min(1).max(1024).optional(),
  })
  .strict();
export type QueryRuns = z.infer<typeof QueryRunsSchema>;

export const QueryCostSchema = z
  .object({
    session_id: z.string().min(1).max(128).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
  })
  .strict();
export type QueryCost = z.infer<typeof QueryCostSchema>;

export const QueryEventsSchema = z
  .object({
    type: csv(EventTypeSchema).optional(),
    provider: csv(z.string().min(1).max(64)).optional(),
    session_id: z.string().min(1).max(128).optional(),
    run_id: z.string().min(1).max(128).optional(),
    correlation_id: z.string().min(1).max(256).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().min(1).max(1024).optional(),
  })
  .strict();
export type QueryEvents = z.infer<typeof QueryEventsSchema>;

const Tokens = z.object({ input: z.number(), output: z.number(), cache_read: z.number(), cache_creation: z.number(), total: z.number() });
const Bucket = z.object({ cost_usd: z.number(), run_count: z.number().int(), total_tokens: z.number().int() });

export const CostSummarySchema = z.object({
  total_cost_usd: z.number(),
  run_count: z.number().int(),
  unpriced_runs: z.number().int(),
  tokens: Tokens,
  by_provider: z.record(z.string(), Bucket),
  by_model: z.record(z.string(), Bucket),
});
export type CostSummary = z.infer<typeof CostSummarySchema>;

import { z } from "zod";
import { TokenUsageSchema } from "./usage";

/** GET /v1/sessions/:id/stats (seed QueryAPI `get_session_stats`), served by the session's own object. */
export const SessionStatsSchema = z
  .object({
    session_id: z.string(),
    event_count: z.number().int().min(0).describe("Events held now (retention may have pruned older ones)"),
    latest_sequence: z.number().int().min(0),
    first_event_at: z.string().nullable(),
    last_event_at: z.string().nullable(),
    event_type_counts: z.record(z.string(), z.number().int()),
    run_count: z.number().int().min(0),
    status_counts: z.record(z.string(), z.number().int()).describe("Runs by status; statuses with no run are absent"),
    token_totals: TokenUsageSchema,
    cost_usd: z.number().nullable().describe("Sum over priced runs; null when no run has a cost"),
    providers_used: z.array(z.string()).describe("Providers of the session's runs and events, sorted"),
  })
  .meta({ id: "SessionStats" });
export type SessionStats = z.infer<typeof SessionStatsSchema>;

export const EventCountSchema = z
  .object({ count: z.number().int().min(0), latest_sequence: z.number().int().min(0) })
  .meta({ id: "EventCount" });
export type EventCount = z.infer<typeof EventCountSchema>;

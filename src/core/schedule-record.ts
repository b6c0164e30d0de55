import { z } from "zod";

/** A schedule as the API shows it (kept apart from the cron parser, so the typed client does not bundle it). */
export const ScheduleKindSchema = z.enum(["cron", "at", "every"]);

export const ScheduleSchema = z
  .object({
    id: z.string().describe("sch_ + 32 hex"),
    session_id: z.string(),
    kind: ScheduleKindSchema,
    cron: z.string().nullable(),
    at: z.string().nullable(),
    every_ms: z.number().int().nullable(),
    run: z.record(z.string(), z.unknown()).describe("The run body submitted each time (redacted when read back)"),
    status: z
      .enum(["active", "done", "stopped"])
      .describe("done: an `at` schedule that has fired; stopped: its session was deleted or ended"),
    created_at: z.string(),
    next_run_at: z.string().nullable(),
    last_fired_at: z.string().nullable(),
    last_run_id: z.string().nullable(),
    fire_count: z.number().int(),
    skip_count: z.number().int(),
  })
  .meta({ id: "Schedule" });
export type Schedule = z.infer<typeof ScheduleSchema>;

export const ScheduleListSchema = z.object({ items: z.array(ScheduleSchema) }).meta({ id: "ScheduleList" });

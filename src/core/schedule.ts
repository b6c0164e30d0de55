import { parseCronExpression, type Cron } from "cron-schedule";
import { z } from "zod";
import { SubmitRunBodySchema } from "./run-submit";
import type { Schedule } from "./schedule-record";

export { ScheduleKindSchema, ScheduleListSchema, ScheduleSchema, type Schedule } from "./schedule-record";

/**
 * Schedules (`POST /v1/sessions/:id/schedules`): a run body submitted by the session's own alarm, on a 5-field cron
 * expression (UTC), once at a time, or every N milliseconds. Times are UTC; minute granularity is the finest.
 */

/** Below a minute a schedule is a busy loop, not a schedule; cron's finest step is a minute too. */
export const MIN_EVERY_MS = 60_000;
export const MAX_EVERY_MS = 366 * 24 * 3_600_000;
/** Per session: each schedule is stored in the session's object and listed in full. */
export const MAX_SCHEDULES_PER_SESSION = 100;

const CRON_MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);

/**
 * Parses a 5-field cron expression (minute hour day-of-month month day-of-week) or a macro such as `@daily`.
 * cron-schedule also takes a 6-field form with seconds: refused, a minute is the finest step.
 * Throws on anything else.
 */
export function parseCron(expression: string): Cron {
  const trimmed = expression.trim();
  if (!CRON_MACROS.has(trimmed.toLowerCase()) && trimmed.split(/\s+/).length !== 5) {
    throw new Error("a cron expression has 5 fields (minute hour day-of-month month day-of-week) or is a macro such as @daily");
  }
  return parseCronExpression(trimmed.toLowerCase().startsWith("@") ? trimmed.toLowerCase() : trimmed);
}

/**
 * The next time strictly after `afterMs` a cron expression matches. Workers run in UTC, so the parser's local time
 * is UTC there.
 */
export function nextCronTime(expression: string, afterMs: number): number {
  return parseCron(expression).getNextDate(new Date(afterMs)).getTime();
}

export const CreateScheduleBodySchema = z
  .strictObject({
    cron: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        "5-field cron expression in UTC (minute hour day-of-month month day-of-week), or @hourly, @daily, @weekly, @monthly, @yearly",
      ),
    at: z.iso.datetime({ offset: true }).optional().describe("Run once at this time (must be in the future)"),
    every_ms: z
      .number()
      .int()
      .min(MIN_EVERY_MS)
      .max(MAX_EVERY_MS)
      .optional()
      .describe(`Run every this many milliseconds (at least ${MIN_EVERY_MS}); the first run one interval after creation`),
    run: SubmitRunBodySchema.describe("The same body as POST /v1/sessions/{id}/runs"),
  })
  .superRefine((body, ctx) => {
    const given = (["cron", "at", "every_ms"] as const).filter((k) => body[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: given.length ? [given[1] ?? given[0]!] : ["cron"],
        message: "give exactly one of cron, at, every_ms",
      });
      return;
    }
    if (body.cron !== undefined) {
      try {
        parseCron(body.cron);
      } catch (err) {
        ctx.addIssue({
          code: "custom",
          path: ["cron"],
          message: `invalid cron expression: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
  })
  .meta({ id: "CreateScheduleBody" });
export type CreateScheduleBody = z.infer<typeof CreateScheduleBodySchema>;

/** The first due time of a new schedule. */
export function firstDue(body: CreateScheduleBody, nowMs: number): number {
  if (body.at !== undefined) return Date.parse(body.at);
  if (body.every_ms !== undefined) return nowMs + body.every_ms;
  return nextCronTime(body.cron!, nowMs);
}

/**
 * The due time after a firing at `dueMs`, seen at `nowMs`: null for `at`. Intervals missed while the object was
 * away are not caught up one by one: the next is the first one after now.
 */
export function nextDue(schedule: Pick<Schedule, "kind" | "cron" | "every_ms">, dueMs: number, nowMs: number): number | null {
  if (schedule.kind === "at") return null;
  if (schedule.kind === "every") {
    const every = schedule.every_ms!;
    const missed = Math.max(0, Math.floor((nowMs - dueMs) / every));
    return dueMs + (missed + 1) * every;
  }
  return nextCronTime(schedule.cron!, Math.max(nowMs, dueMs));
}

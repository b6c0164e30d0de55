import { AppError } from "../core/errors";
import type { EventInput } from "../core/event";
import { randomHex } from "../core/ids";
import type { Run } from "../core/run";
import type { SubmitRunBody } from "../core/run-submit";
import { firstDue, MAX_SCHEDULES_PER_SESSION, nextDue, type CreateScheduleBody, type Schedule } from "../core/schedule";
import type { Session } from "../core/session";
import type { Alarms } from "./alarms";
import type { KeyValue } from "./kv";

const KEY = "schedules";
/** The alarm name (alarms.ts multiplexes the object's one alarm). */
export const SCHEDULE_ALARM = "schedules";

/** Stored: the schedule as shown, plus the run body as submitted (env values real, never returned). */
type Stored = { schedule: Schedule; body: SubmitRunBody; due_ms: number | null };

export type ScheduleDeps = {
  kv: KeyValue;
  alarms: Alarms;
  session: () => Session | null;
  /** Submits a run as POST …/runs would (multitask, queue and tenant quotas included). */
  submit: (body: SubmitRunBody, idempotencyKey: string) => Promise<Run>;
  /** Appends service events (schedule_skipped). */
  append: (inputs: EventInput[]) => void;
  /** What GET returns: the schedule with secrets in its run body replaced. */
  redact: (schedule: Schedule) => Schedule;
};

function sessionStopped(session: Session | null): boolean {
  return !session || session.deleted_at !== null || ["completed", "failed", "cancelled"].includes(session.status);
}

/**
 * A session's schedules, kept in its object's storage (so they survive restarts) and fired from its alarm. A due
 * schedule submits its run marked `metadata.schedule_id`; while the session is paused it is skipped with a
 * `schedule_skipped` event; once the session is deleted or has ended, its schedules stop.
 */
export class Schedules {
  constructor(private readonly d: ScheduleDeps) {}

  private load(): Record<string, Stored> {
    return this.d.kv.get<Record<string, Stored>>(KEY) ?? {};
  }

  private async save(all: Record<string, Stored>): Promise<void> {
    this.d.kv.put(KEY, all);
    const next = Object.values(all)
      .map((s) => s.due_ms)
      .filter((t): t is number => t !== null);
    if (next.length === 0) await this.d.alarms.clear(SCHEDULE_ALARM);
    else await this.d.alarms.set(SCHEDULE_ALARM, Math.min(...next));
  }

  async create(sessionId: string, body: CreateScheduleBody): Promise<Schedule> {
    const all = this.load();
    if (Object.keys(all).length >= MAX_SCHEDULES_PER_SESSION) {
      throw new AppError("invalid_operation", `A session holds at most ${MAX_SCHEDULES_PER_SESSION} schedules`, {
        limit: MAX_SCHEDULES_PER_SESSION,
      });
    }
    const now = Date.now();
    const due = firstDue(body, now);
    if (body.at !== undefined && due <= now)
      throw new AppError("validation_error", "`at` must be in the future", { field: "at", at: body.at });
    const schedule: Schedule = {
      id: `sch_${randomHex(16)}`,
      session_id: sessionId,
      kind: body.cron !== undefined ? "cron" : body.at !== undefined ? "at" : "every",
      cron: body.cron?.trim() ?? null,
      at: body.at !== undefined ? new Date(due).toISOString() : null,
      every_ms: body.every_ms ?? null,
      run: body.run,
      status: "active",
      created_at: new Date(now).toISOString(),
      next_run_at: new Date(due).toISOString(),
      last_fired_at: null,
      last_run_id: null,
      fire_count: 0,
      skip_count: 0,
    };
    all[schedule.id] = { schedule, body: body.run, due_ms: due };
    await this.save(all);
    return this.d.redact(schedule);
  }

  list(): Schedule[] {
    return Object.values(this.load())
      .map((s) => this.d.redact(s.schedule))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  get(id: string): Schedule {
    const found = this.load()[id];
    if (!found) throw new AppError("not_found", `Schedule ${id} not found`, { schedule_id: id });
    return this.d.redact(found.schedule);
  }

  async delete(id: string): Promise<Schedule> {
    const all = this.load();
    const found = all[id];
    if (!found) throw new AppError("not_found", `Schedule ${id} not found`, { schedule_id: id });
    delete all[id];
    await this.save(all);
    return this.d.redact(found.schedule);
  }

  /**
   * Called on every alarm of the object, whatever woke it (the schedule deadline shares the one alarm with flushes
   * and runs): submits (or skips) every due schedule, then points the alarm at the next one. Writes nothing when
   * nothing is due.
   */
  async onAlarm(now = Date.now()): Promise<void> {
    const all = this.load();
    const due = Object.entries(all).filter(([, s]) => s.due_ms !== null && s.due_ms <= now);
    if (due.length === 0) return;
    const session = this.d.session();
    if (sessionStopped(session)) {
      for (const s of Object.values(all)) {
        if (s.schedule.status === "active") s.schedule = { ...s.schedule, status: "stopped", next_run_at: null };
        s.due_ms = null;
      }
      await this.save(all);
      return;
    }
    const fired: Record<string, Stored> = {};
    for (const [id, stored] of due) {
      if (stored.due_ms === null) continue;
      await this.fire(stored, session!, stored.due_ms, now);
      fired[id] = stored;
    }
    // Submitting awaits the tenant ledger, so a create or delete may have landed meanwhile: merge into what is stored now.
    const current = this.load();
    for (const [id, stored] of Object.entries(fired)) if (current[id]) current[id] = stored;
    await this.save(current);
  }

  private async fire(stored: Stored, session: Session, dueMs: number, now: number): Promise<void> {
    const s = stored.schedule;
    const dueAt = new Date(dueMs).toISOString();
    const skip = (reason: string, error?: AppError) => {
      s.skip_count += 1;
      this.d.append([
        {
          type: "schedule_skipped",
          data: { schedule_id: s.id, reason, due_at: dueAt, error_code: error?.code ?? null, error_message: error?.message ?? null },
        },
      ]);
    };
    if (session.status === "paused") {
      skip("session_paused");
    } else {
      try {
        // One key per due time: an alarm retried after a crash finds the run it already submitted.
        const run = await this.d.submit(
          { ...stored.body, metadata: { ...stored.body.metadata, schedule_id: s.id } },
          `schedule:${s.id}:${dueMs}`,
        );
        s.fire_count += 1;
        s.last_run_id = run.id;
        s.last_fired_at = new Date(now).toISOString();
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        // Refused (tenant quota, full queue, multitask reject, draining): this occurrence is skipped, not retried.
        skip("submit_refused", err);
      }
    }
    const next = nextDue(s, dueMs, now);
    stored.due_ms = next;
    s.next_run_at = next === null ? null : new Date(next).toISOString();
    if (next === null) s.status = "done";
  }
}

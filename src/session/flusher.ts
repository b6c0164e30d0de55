import type { Config } from "../core/config";
import type { D1SessionStore } from "../store/session-store";
import type { Alarms } from "./alarms";
import type { KeyValue } from "./kv";
import { nextTurn } from "./next-turn";
import type { EventLog } from "./log";
import type { RunRecords } from "./run-records";
import type { SessionRecord } from "./session-record";

export type FlushStatus = {
  flushed_through: number;
  last_sequence: number;
  lag_events: number;
  consecutive_failures: number;
  last_error: string | null;
  last_flushed_at: string | null;
};

/**
 * How long a flush alarm should still wait, or null to flush now. The copy to D1 waits for appends to pause for
 * `quietMs` (a stream of appends is copied in the gap after it, in one batch, instead of between two of its
 * appends), but never longer than `maxLagMs` after the first append D1 does not have. `pendingSince` is null when
 * that is unknown (a fresh instance after eviction): then nothing waits.
 */
export function flushWait(
  now: number,
  appends: { lastAt: number; pendingSince: number | null },
  limits: { quietMs: number; maxLagMs: number },
): number | null {
  if (appends.pendingSince === null) return null;
  const due = Math.min(appends.lastAt + limits.quietMs, appends.pendingSince + limits.maxLagMs);
  return due > now ? due - now : null;
}

/**
 * Copies what D1 does not have yet (events past `flushed_through`, dirty session and run rows) in batches.
 * Two clocks drive it: an in-memory timer flushes once appends pause for `flushDelayMs`, and the DO alarm, set
 * once per stream at `flushMaxLagMs` after its first append, bounds the lag even if the object is put away
 * meanwhile. A steady stream therefore wakes the alarm once per flush, not once per `flushDelayMs` (each alarm is
 * a billed wake with storage writes, and locally it ran on the thread serving the stream). A failed write leaves
 * everything in the DO and retries from the alarm with exponential backoff.
 */
export class Flusher {
  private running: Promise<void> | null = null;
  /** When the newest append came, and the oldest one since the last flush began (this instance's memory only). */
  private appends: { lastAt: number; pendingSince: number | null } = { lastAt: 0, pendingSince: null };
  /** Checks for the pause after a stream; null when no append is waiting for one. */
  private quietTimer: ReturnType<typeof setTimeout> | null = null;
  /** Rows D1 reported written by this instance's flushes, and how many flushes wrote (storage-cost figures). */
  d1RowsWritten = 0;
  d1Flushes = 0;

  constructor(
    private readonly alarms: Alarms,
    private readonly kv: KeyValue,
    private readonly log: EventLog,
    private readonly record: SessionRecord,
    private readonly runs: RunRecords,
    /** Replaceable so fault-injection tests can put a failing D1 in front of it. */
    public store: D1SessionStore,
    private readonly config: Config,
    /** Runs after a flush the quiet timer started (the alarm's caller does the same after the alarm's). */
    private readonly afterFlush: () => Promise<void> = async () => undefined,
  ) {}

  get flushedThrough(): number {
    return this.kv.get<number>("flushed_through") ?? 0;
  }

  status(): FlushStatus {
    const flushed = this.flushedThrough;
    return {
      flushed_through: flushed,
      last_sequence: this.log.lastSequence,
      lag_events: this.log.lastSequence - flushed,
      consecutive_failures: this.kv.get<number>("flush_failures") ?? 0,
      last_error: this.kv.get<string>("flush_last_error"),
      last_flushed_at: this.kv.get<string>("flush_last_at"),
    };
  }

  get pending(): boolean {
    return this.log.lastSequence > this.flushedThrough || this.record.isDirty || this.runs.dirty(1).length > 0;
  }

  /** New events are in the log: the lag bound is armed (an earlier alarm is kept) and the quiet timer runs. */
  async noteAppend(now = Date.now()): Promise<void> {
    this.appends.lastAt = now;
    this.appends.pendingSince ??= now;
    this.quietTimer ??= setTimeout(() => this.onQuietTimer(), this.config.flushDelayMs);
    await this.schedule(this.appends.pendingSince + this.config.flushMaxLagMs - now);
  }

  /** Makes sure an alarm will flush soon; an earlier pending alarm is kept. */
  async schedule(delayMs = this.config.flushDelayMs): Promise<void> {
    // While D1 is failing, appends must not pull the backed-off retry forward.
    if (this.failing && this.alarms.has("flush")) return;
    await this.alarms.set("flush", Date.now() + delayMs, true);
  }

  /** Alarm entry point: flush what is pending unless the stream is still within its wait; on failure back off. */
  async onAlarm(now = Date.now()): Promise<void> {
    // A retry after a failure never waits for a pause: D1 is already behind.
    const wait = this.failing ? null : this.waitLeft(now);
    if (wait !== null) {
      await this.alarms.set("flush", now + wait);
      return;
    }
    await this.flushOrBackOff();
  }

  /** The quiet timer: flush once appends have paused, or look again when they could have. */
  private onQuietTimer(): void {
    this.quietTimer = null;
    // Retries belong to the backed-off alarm.
    if (this.failing) return;
    // Flushed meanwhile (an eager flush, or the alarm): the lag bound's deadline has nothing left to guard.
    if (this.appends.pendingSince === null) {
      void this.alarms.clear("flush");
      return;
    }
    const wait = this.waitLeft(Date.now());
    if (wait !== null) {
      this.quietTimer = setTimeout(() => this.onQuietTimer(), wait);
      return;
    }
    void this.flushOrBackOff()
      .then(async (ok) => {
        if (!ok) return;
        // The lag bound's alarm has nothing left to do (a later append arms it again).
        if (this.appends.pendingSince === null) await this.alarms.clear("flush");
        await this.afterFlush();
      })
      // A failing fan-out schedules its own retry; anything else is logged, never left unhandled in the object.
      .catch((err: unknown) => console.error("after-flush work failed", err));
  }

  /** How long the pending appends should still wait for their flush (flushWait with this object's limits). */
  private waitLeft(now: number): number | null {
    return flushWait(now, this.appends, { quietMs: this.config.flushDelayMs, maxLagMs: this.config.flushMaxLagMs });
  }

  private get failing(): boolean {
    return (this.kv.get<number>("flush_failures") ?? 0) > 0;
  }

  /** Flushes everything pending; on failure records it and sets the retry alarm with backoff. True on success. */
  private async flushOrBackOff(): Promise<boolean> {
    try {
      await this.flushAll();
      // Written only when it changes: a row written per flush is a row billed per flush.
      if (this.failing) this.kv.put("flush_failures", 0);
      return true;
    } catch (err) {
      const failures = (this.kv.get<number>("flush_failures") ?? 0) + 1;
      this.kv.put("flush_failures", failures);
      this.kv.put("flush_last_error", err instanceof Error ? err.message : String(err));
      const backoff = Math.min(this.config.flushBackoffMaxMs, this.config.flushBackoffBaseMs * 2 ** Math.min(failures - 1, 16));
      // Replaces any earlier deadline: a failing D1 is given its backoff, whatever the lag bound said.
      await this.alarms.set("flush", Date.now() + backoff);
      return false;
    }
  }

  /** Flushes until nothing is pending. Concurrent callers share one run. */
  async flushAll(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    // Everything appended so far is in this flush; an append during it starts the next wait.
    this.appends.pendingSince = null;
    const run = this.flushLoop();
    this.running = run;
    try {
      await run;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  private async flushLoop(): Promise<void> {
    // A flush copies what was appended before it began. Events appended meanwhile have their own wait (their
    // noteAppend armed it): chasing them turned the flush after each lag bound into a run of one-event batches, one
    // per append for as long as appends kept landing between batches (a D1 write and a session-row update each).
    const through = this.log.lastSequence;
    /** The session row was upserted with last_sequence = through: no UPDATE of it is needed in this flush. */
    let rowMoved = false;
    // Every turn of the loop writes a batch or leaves it, so on leaving `batch` is the number written.
    let batch = 0;
    for (; ; batch++) {
      // Between batches the event loop turns, so requests and messages waiting on this thread go first. Local D1
      // answers from inside the process, so its batches chained on without the loop ever polling for new work:
      // a 6,000-event flush (16 batches) held every append off for 190–260 ms (bench case 10).
      if (batch > 0) await nextTurn();
      const session = this.record.get();
      if (!session) break;
      const from = this.flushedThrough + 1;
      const limit = Math.min(this.config.flushBatchSize, through - from + 1);
      const events = limit > 0 ? this.log.range(from, limit) : [];
      const sessionRevision = this.record.currentRevision;
      const sessionDirty = this.record.isDirty;
      const dirtyRuns = this.runs.dirty(50);
      if (events.length === 0 && !sessionDirty && dirtyRuns.length === 0) break;
      const last = events[events.length - 1];
      // The batch that reaches `through` (retention may have taken `through` itself) ends the flush's events.
      const finalEvents = last !== undefined && (last.sequence >= through || events.length < limit);
      this.d1Flushes += 1;
      this.d1RowsWritten += await this.store.flush({
        tenantId: session.tenant_id,
        // A clean session row only needs its last_sequence moved, once per flush (by the batch that reaches
        // `through`): one narrow UPDATE instead of an upsert, and not one per batch.
        session: sessionDirty ? { ...session, last_sequence: Math.max(session.last_sequence, through) } : null,
        lastSequence: !sessionDirty && !rowMoved && finalEvents ? through : null,
        runs: dirtyRuns.map((d) => d.run),
        events,
      });
      // Written per batch: a flush that fails half-way resumes after what D1 already has.
      if (last) this.kv.put("flushed_through", last.sequence);
      if (sessionDirty) this.record.markFlushed(sessionRevision);
      rowMoved ||= sessionDirty;
      for (const d of dirtyRuns) this.runs.markFlushed(d.run.id, d.revision);
    }
    if (batch === 0) return;
    this.kv.put("flush_last_at", new Date().toISOString());
    this.kv.delete("flush_last_error");
  }
}

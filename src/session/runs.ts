import { AppError } from "../core/errors";
import { newId } from "../core/ids";
import { isTerminalRunStatus, type Run } from "../core/run";
import type { PolicySummary } from "../core/policy";
import type { SubmitRunBody } from "../core/run-submit";
import { EMPTY_USAGE } from "../core/usage";
import type { Config } from "../core/config";
import type { KeyValue } from "./kv";
import { nextTurn } from "./next-turn";
import type { RunRecords } from "./run-records";
import { RunExecution, type ExecutorHost } from "./executor";
import type { RunSlots } from "./tenant";

/** How long a cancel waits for a running run to reach its end before answering. */
const CANCEL_WAIT_MS = 10_000;

/** What the run queue needs from its object besides the executor's host. */
export type RunManagerHooks = {
  keepAlive(active: boolean): void;
  /** A run was queued, started or ended (telemetry). */
  runTransition(run: Run): void;
};

type Waiter = { resolve: (run: Run) => void; timer: ReturnType<typeof setTimeout> };

/**
 * The session's run queue: FIFO, `max_concurrent_runs` slots, a bounded queue, idempotent submission,
 * cancellation, waiting, and recovery of runs a restart interrupted. Each run also holds a place in its tenant's
 * quotas (`slots`): a queued place from submission, a running slot from its start, both given back at its end.
 */
export class RunManager {
  private readonly inflight = new Map<string, { execution: RunExecution; done: Promise<Run> }>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private filling = false;
  private fillAgain = false;

  constructor(
    private readonly host: ExecutorHost & RunManagerHooks,
    private readonly records: RunRecords,
    private readonly kv: KeyValue,
    private readonly config: Config,
    private readonly slots: RunSlots,
  ) {}

  /**
   * An Idempotency-Key seen before returns the run it created, if the body is the same (by `fingerprint`);
   * the same key with a different body is refused rather than silently answered with the other run. A new run first
   * takes a queued place in its tenant's quota (a 429 when there is none), then is stored.
   */
  async submit(
    body: SubmitRunBody,
    idempotencyKey: string | null,
    fingerprint: string | null = null,
  ): Promise<{ run: Run; created: boolean }> {
    const replayed = this.replay(idempotencyKey, fingerprint);
    if (replayed) return { run: replayed, created: false };
    this.queued();
    const id = newId("run");
    await this.slots.admit(id);
    try {
      const submitted = this.create(id, body, idempotencyKey, fingerprint);
      // Another submit with the same key won while the tenant was asked: this place is not needed.
      if (!submitted.created) this.slots.release(id);
      return submitted;
    } catch (err) {
      this.slots.release(id);
      throw err;
    }
  }

  private replay(idempotencyKey: string | null, fingerprint: string | null): Run | null {
    if (!idempotencyKey) return null;
    const existing = this.records.byIdempotencyKey(idempotencyKey);
    if (!existing) return null;
    if (existing.fingerprint !== null && fingerprint !== null && existing.fingerprint !== fingerprint) {
      throw new AppError(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different request body; use a new key for a new run",
        {
          idempotency_key: idempotencyKey,
          run_id: existing.run.id,
        },
      );
    }
    return existing.run;
  }

  /** The session takes runs and its own queue has room; returns how many are queued. */
  private queued(): number {
    const session = this.host.session();
    if (["completed", "failed", "cancelled"].includes(session.status)) {
      throw new AppError("invalid_status", `The session is ${session.status}; it takes no new runs`, { status: session.status });
    }
    const queued = this.records.list({ status: ["queued"], limit: 100_000 }).length;
    const busy = this.inflight.size >= session.max_concurrent_runs;
    if (busy && queued >= session.max_queued_runs) {
      throw new AppError("max_runs_exceeded", `The queue is full (${queued} queued, ${this.inflight.size} running)`, {
        queued,
        running: this.inflight.size,
        max_queued_runs: session.max_queued_runs,
      });
    }
    return queued;
  }

  /** Stores the run as queued; checked again, since the tenant was asked in between. */
  private create(
    id: string,
    body: SubmitRunBody,
    idempotencyKey: string | null,
    fingerprint: string | null,
  ): { run: Run; created: boolean } {
    const replayed = this.replay(idempotencyKey, fingerprint);
    if (replayed) return { run: replayed, created: false };
    const queued = this.queued();
    const session = this.host.session();
    const run: Run = {
      id,
      session_id: session.id,
      status: "queued",
      provider: body.provider,
      model: body.options?.model ?? null,
      input: body.input,
      output: null,
      error: null,
      token_usage: { ...EMPTY_USAGE },
      cost_usd: null,
      turn_count: 0,
      metadata: body.metadata ?? {},
      idempotency_key: idempotencyKey,
      queued_at: new Date().toISOString(),
      started_at: null,
      ended_at: null,
    };
    const stored = this.records.put(run, fingerprint);
    // The full request (it may hold env values, unredacted because the run needs them) stays in the DO until the
    // run ends; it is never returned or flushed. The run row, redacted, is what is read and flushed to D1.
    this.kv.put(`run_request:${run.id}`, body);
    this.host.emit(stored, { type: "run_queued", data: { provider: run.provider, model: run.model, position: queued + 1 } });
    this.host.runTransition(stored);
    this.pump();
    // The answer is the run as accepted (queued), even if a free slot already started it.
    return { run: stored, created: true };
  }

  get(id: string): Run {
    const run = this.records.get(id);
    if (!run) throw new AppError("run_not_found", `Run ${id} not found`, { run_id: id });
    return run;
  }

  list(limit: number, afterRowid: number): { items: Run[]; next: number | null } {
    return this.records.page(limit, afterRowid);
  }

  /** A run executing in this object: its policy's counters and limits so far. */
  policyOf(id: string): PolicySummary | null {
    return this.inflight.get(id)?.execution.policySummary() ?? null;
  }

  get status(): { in_flight: string[]; queued: string[] } {
    return { in_flight: [...this.inflight.keys()], queued: this.records.list({ status: ["queued"], limit: 1000 }).map((r) => r.id) };
  }

  /** Cancels a queued run without it ever reaching a provider, or aborts a running one and waits for its end. */
  async cancel(id: string, reason = "cancelled by user"): Promise<Run> {
    const run = this.get(id);
    if (isTerminalRunStatus(run.status)) return run;
    const live = this.inflight.get(id);
    if (live) {
      live.execution.abort({ kind: "cancelled", reason });
      this.host.approvals.cancelRun(id);
      // An adapter that ignores its signal must not hang the caller: answer with the current state after a bound.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<Run>((resolve) => {
        timer = setTimeout(() => resolve(this.get(id)), CANCEL_WAIT_MS);
      });
      return Promise.race([live.done, bound]).finally(() => clearTimeout(timer));
    }
    const cancelled = this.records.put({ ...run, status: "cancelled", ended_at: new Date().toISOString() });
    this.host.emit(cancelled, { type: "run_cancelled", data: { reason } });
    this.slots.release(id);
    this.settled(cancelled);
    return cancelled;
  }

  /**
   * Cancels every queued run (none reaches a provider) and, with `running`, aborts the running ones and waits
   * (bounded) for their ends: soft delete cancels the queue, hard delete everything.
   */
  async cancelAll(reason: string, running: boolean): Promise<string[]> {
    const queued = this.records.list({ status: ["queued"], limit: 100_000 });
    for (const run of queued) await this.cancel(run.id, reason);
    const live = running ? [...this.inflight.keys()] : [];
    await Promise.all(live.map((id) => this.cancel(id, reason)));
    return [...queued.map((r) => r.id), ...live];
  }

  /** Resolves when the run ends, or with its current state at the deadline. */
  wait(id: string, timeoutMs: number): Promise<Run> {
    const run = this.get(id);
    if (isTerminalRunStatus(run.status) || timeoutMs <= 0) return Promise.resolve(run);
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set<Waiter>();
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          set.delete(waiter);
          resolve(this.get(id));
        }, timeoutMs),
      };
      set.add(waiter);
      this.waiters.set(id, set);
    });
  }

  /** Decides a waiting gate and answers with the run once its executor has taken the decision in. */
  async decide(runId: string, toolCallId: string, decision: "grant" | "deny", reason: string | null): Promise<Run> {
    const run = this.get(runId);
    if (!this.host.approvals.decide(runId, toolCallId, decision, reason)) {
      const earlier = this.host.approvals.outcomeOf(runId, toolCallId);
      if (earlier) {
        throw new AppError("invalid_status", `Approval ${toolCallId} on run ${runId} was already settled (${earlier})`, {
          run_id: runId,
          tool_call_id: toolCallId,
          outcome: earlier,
          status: run.status,
        });
      }
      throw new AppError("not_found", `No pending approval ${toolCallId} on run ${runId}`, {
        run_id: runId,
        tool_call_id: toolCallId,
        status: run.status,
      });
    }
    // The executor resumes on a microtask after the gate settles; one macrotask later its status is recorded.
    await nextTurn();
    return this.get(runId);
  }

  /**
   * On wake: runs stored as running or awaiting approval have no executor in this instance, so a restart cut
   * them off. They fail with a clear error (never stay `running` forever) and the queue moves on.
   */
  recoverInterrupted(): string[] {
    const stranded = this.records.list({ status: ["running", "awaiting_approval"], limit: 1000 }).filter((r) => !this.inflight.has(r.id));
    for (const run of stranded) {
      const error = {
        code: "internal_error",
        message: "Run interrupted: the session's Durable Object restarted (eviction or deploy) while the run was in progress",
        details: { reason: "interrupted", previous_status: run.status },
      };
      const failed = this.records.put({ ...run, status: "failed", error, ended_at: new Date().toISOString() });
      this.host.emit(failed, {
        type: "run_failed",
        data: { error_code: error.code, error_message: error.message, details: error.details },
      });
      this.slots.release(run.id);
      this.settled(failed);
      // Best effort: a process the old instance started under the run's id should not outlive it.
      try {
        void this.host
          .sandbox()
          .kill(run.id)
          .catch(() => undefined);
      } catch {
        /* no sandbox configured */
      }
    }
    this.pump();
    return stranded.map((r) => r.id);
  }

  /**
   * Starts queued runs, oldest first, while the session has free slots and its tenant grants one; a deleted session
   * starts none. Asking the tenant is a round trip, so one fill runs at a time and a pump during it runs it again.
   */
  pump(): void {
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    void this.fill()
      .catch((err: unknown) => console.error("run queue: fill failed", err))
      .finally(() => {
        this.filling = false;
        if (this.fillAgain) {
          this.fillAgain = false;
          this.pump();
        }
      });
  }

  private async fill(): Promise<void> {
    this.slots.renew(() => ({
      queued: this.records.list({ status: ["queued"], limit: 100_000 }).map((r) => r.id),
      running: [...this.inflight.keys()],
    }));
    for (;;) {
      const session = this.host.session();
      // A paused session keeps its queue: nothing starts until it is resumed (PATCH status active pumps again).
      if (session.deleted_at || session.status === "paused" || this.inflight.size >= session.max_concurrent_runs) break;
      const next = this.records.list({ status: ["queued"], limit: 1 })[0];
      if (!next) break;
      if (!(await this.slots.acquire(next.id))) {
        this.slots.waitForSlot();
        break;
      }
      // The tenant was asked: the run may have been cancelled, or the session deleted, meanwhile.
      const fresh = this.records.get(next.id);
      if (fresh?.status !== "queued" || this.host.session().deleted_at || this.inflight.has(next.id)) {
        this.slots.release(next.id);
        continue;
      }
      this.start(fresh);
    }
    this.host.keepAlive(this.inflight.size > 0);
  }

  private start(queued: Run): void {
    const body = this.kv.get<SubmitRunBody>(`run_request:${queued.id}`);
    const now = new Date().toISOString();
    const run = this.records.put({ ...queued, status: "running", started_at: now });
    this.host.runTransition(run);
    const session = this.host.session();
    if (session.status === "pending") {
      this.host.saveSession({ ...session, status: "active", updated_at: now });
      this.host.emit(run, { type: "session_started", data: { from: "pending", to: "active" } });
    }
    const requested = body?.timeout_ms ?? body?.options?.timeout_ms;
    const timeout =
      requested === null
        ? this.config.maxRunTimeoutMs
        : Math.min(requested ?? this.config.defaultRunTimeoutMs, this.config.maxRunTimeoutMs);
    const execution = new RunExecution(
      this.host,
      run,
      body ?? { provider: run.provider as SubmitRunBody["provider"], input: run.input as SubmitRunBody["input"] },
      timeout,
    );
    const done = execution
      .execute()
      .catch((err: unknown) => {
        // The executor turns every failure into a run end; this only guards against a bug in it.
        const failed = this.records.put({
          ...this.get(run.id),
          status: "failed",
          ended_at: new Date().toISOString(),
          error: { code: "internal_error", message: String(err) },
        });
        this.host.emit(failed, { type: "run_failed", data: { error_code: "internal_error", error_message: String(err) } });
        return failed;
      })
      .then((finished) => {
        // Waiters get the stored (redacted) run, never the executor's in-memory copy.
        const ended = this.records.get(run.id) ?? finished;
        this.inflight.delete(run.id);
        this.slots.release(run.id);
        this.kv.delete(`run_request:${run.id}`);
        this.settled(ended);
        this.pump();
        return ended;
      });
    this.inflight.set(run.id, { execution, done });
  }

  /** Every run's end passes here exactly once, with the stored run. */
  private settled(run: Run): void {
    this.host.runTransition(run);
    const set = this.waiters.get(run.id);
    if (!set) return;
    this.waiters.delete(run.id);
    for (const w of set) {
      clearTimeout(w.timer);
      w.resolve(run);
    }
  }
}

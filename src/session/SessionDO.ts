import { DurableObject } from "cloudflare:workers";
import { loadConfig, type Config } from "../core/config";
import { AppError, fail, ok, type Result } from "../core/errors";
import type { Event, EventInput, EventOrigin, EventPage } from "../core/event";
import { buildEvent, type BuiltEvent } from "../core/event-build";
import { assertClientMayAppend } from "../core/event-rules";
import { etagMatches, etagOf } from "../core/etag";
import { requestFingerprint } from "../core/idempotency";
import type { Redactor } from "../core/redact";
import { redactorFromEnv } from "../core/redact-env";
import { canTransition, sessionStatusEvent, type Session, type UpdateSessionBody } from "../core/session";
import type { Env } from "../env";
import { D1SessionStore } from "../store/session-store";
import { sandboxConfigured, sandboxFor } from "../sandbox/resolve";
import { Alarms } from "./alarms";
import { Flusher, type FlushStatus } from "./flusher";
import { KeyValue } from "./kv";
import { migrateStorage } from "./storage-migrations";
import { SESSION_MIGRATIONS } from "./storage-schema";
import { EventLog, type LogFilter } from "./log";
import { RunRecords } from "./run-records";
import { SessionRecord } from "./session-record";
import { Subscribers } from "./subscribers";
import { openStream } from "./streams";
import { Waiters } from "./waiters";
import { Approvals } from "./approvals";
import { FanOut } from "./fanout";
import { Delivery } from "./delivery";
import { SqlMeter } from "./sql-meter";
import { createRunHost } from "./run-host";
import { RunManager } from "./runs";
import { TranscriptCache } from "./transcript-cache";
import { RunControls } from "./controls";
import { runtimeStatus } from "./runtime-status";
import type { DrainResponse, Multitask, PendingApproval, SessionRuntimeStatus } from "../core/run-controls";
import { sandboxIsolation } from "../sandbox/resolve";
import { TenantLink } from "./tenant";
import type { Run } from "../core/run";
import type { SubmitRunBody } from "../core/run-submit";
import type { Transcript } from "../core/transcript";
import { planEventPruning, type RetentionPolicy } from "../core/retention";
import { parseAck } from "../core/socket-protocol";
import type { EventCount, SessionStats } from "../core/session-stats";
import { countEvents, sessionStats, type EventFilter } from "./stats";
import { asImportedEvent, writeImported } from "./import";
import { Schedules } from "./schedules";
import type { CreateScheduleBody, Schedule } from "../core/schedule";

export type ReadEventsQuery = {
  after?: number | undefined;
  before?: number | undefined;
  limit?: number | undefined;
  run_id?: string | undefined;
  types?: string[] | undefined;
  wait_ms?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
};

/** Runs `fn`, turning a thrown AppError into a Result so it survives the RPC boundary. */
/** Ended or deleted: the session no longer counts against its tenant's active sessions. */
function sessionEnded(session: Session): boolean {
  return session.deleted_at !== null || ["completed", "failed", "cancelled"].includes(session.status);
}

async function guarded<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    if (err instanceof AppError) return fail(err);
    throw err;
  }
}

/**
 * One per session: the single writer of its event log. A thin composition of the parts in this folder,
 * each owning one job (log, record, flusher, subscribers, waiters, alarms).
 */
export class SessionDO extends DurableObject<Env> {
  private readonly config: Config;
  private readonly redactor: Redactor;
  private kv!: KeyValue;
  private log!: EventLog;
  private record!: SessionRecord;
  private runs!: RunRecords;
  private alarms!: Alarms;
  protected flusher!: Flusher;
  protected subscribers!: Subscribers;
  private readonly waiters = new Waiters();
  private readonly approvals = new Approvals();
  private runManager!: RunManager;
  private transcripts!: TranscriptCache;
  protected fanout!: FanOut;
  private delivery!: Delivery;
  private readonly sqlMeter = new SqlMeter();
  private controls!: RunControls;
  private tenant!: TenantLink;
  private schedules!: Schedules;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
    this.redactor = redactorFromEnv(env);
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.init();
    // Sockets that outlived the previous instance catch up on whatever it appended but had not sent yet.
    this.delivery.schedule();
    // A run stored as in flight has no executor in a fresh instance: a restart cut it off.
    void this.ctx.blockConcurrencyWhile(async () => {
      if (this.record.get()) this.runManager.recoverInterrupted();
    });
  }

  private init(): void {
    // Before any part reads its tables. Storage calls are synchronous and the constructor runs before any request,
    // so nothing can observe the object between two migrations.
    migrateStorage(this.ctx.storage, SESSION_MIGRATIONS);
    const sql = this.sqlMeter.wrap(this.ctx.storage.sql);
    this.kv = new KeyValue(sql);
    this.record = new SessionRecord(this.kv, this.redactor);
    this.log = new EventLog(sql, () => this.record.get()?.id ?? "");
    this.runs = new RunRecords(sql, this.redactor);
    this.alarms = new Alarms(this.ctx.storage, this.kv);
    this.flusher = new Flusher(this.alarms, this.kv, this.log, this.record, this.runs, new D1SessionStore(this.env.DB), this.config, () =>
      this.runFanOut(),
    );
    this.subscribers = new Subscribers(
      this.ctx,
      this.log,
      this.config.wsReplayPageSize,
      {
        window: this.config.subscriberMaxQueued,
        stallMs: this.config.subscriberStallMs,
      },
      () => this.delivery.schedule(),
    );
    this.delivery = new Delivery(this.subscribers, this.waiters, (work) => this.ctx.waitUntil(work));
    this.fanout = new FanOut(this.kv, this.log, this.env.DB, this.env.EVENTS_QUEUE, () => {
      const session = this.record.get();
      return session ? { tenantId: session.tenant_id, sessionId: session.id } : null;
    });
    this.transcripts = new TranscriptCache(
      this.log,
      () => this.record.get()?.id ?? "",
      () => this.controls.rolledBack(),
    );
    const host = createRunHost({
      env: this.env,
      config: this.config,
      approvals: this.approvals,
      record: this.record,
      runs: this.runs,
      alarms: this.alarms,
      transcripts: this.transcripts,
      redactor: this.redactor,
      append: (inputs) => this.appendBuilt(inputs, "service"),
    });
    this.tenant = new TenantLink({
      env: this.env,
      config: this.config,
      alarms: this.alarms,
      session: () => this.record.get(),
      waitUntil: (p) => this.ctx.waitUntil(p),
    });
    this.controls = new RunControls({
      manager: () => this.runManager,
      records: this.runs,
      kv: this.kv,
      log: this.log,
      emit: host.emit,
      sandbox: host.sandbox,
      transcriptsChanged: () => this.transcripts.reset(),
    });
    this.runManager = new RunManager(host, this.runs, this.kv, this.config, this.tenant);
    this.schedules = new Schedules({
      kv: this.kv,
      alarms: this.alarms,
      session: () => this.record.get(),
      submit: (body, key) => this.controls.submit(body, key, null),
      append: (inputs) => void this.appendBuilt(inputs, "service"),
      redact: (schedule) => this.redactor.value(schedule).value,
    });
  }

  // ── session ────────────────────────────────────────────────────────────

  async createSession(session: Session): Promise<Result<Session>> {
    return guarded(async () => {
      if (this.record.get()) throw new AppError("already_exists", `Session ${session.id} already exists`);
      await this.tenant.admitSession(session);
      this.record.put(session);
      this.appendBuilt(
        [{ type: "session_created", data: { provider: (session.metadata.provider as string | undefined) ?? null } }],
        "service",
      );
      await this.flushEagerly();
      return this.currentSession();
    });
  }

  async getSession(includeDeleted = false): Promise<Result<Session>> {
    return guarded(() => {
      this.requireSession(includeDeleted);
      return this.currentSession();
    });
  }

  async updateSession(patch: UpdateSessionBody, ifMatch: string | null = null): Promise<Result<Session>> {
    return guarded(async () => {
      const session = this.requireSession();
      // Checked before any await, so no other write can slip between the comparison and this update.
      const current = etagOf(this.currentSession());
      if (ifMatch !== null && !etagMatches(ifMatch, current)) {
        throw new AppError("precondition_failed", "If-Match does not name the session's current ETag", { etag: current });
      }
      const now = new Date().toISOString();
      const next: Session = { ...session, updated_at: now };
      if (patch.metadata) next.metadata = { ...session.metadata, ...patch.metadata };
      if (patch.context) next.context = { ...session.context, ...patch.context };
      if (patch.tags) next.tags = [...new Set(patch.tags)];
      if (patch.max_concurrent_runs !== undefined) next.max_concurrent_runs = patch.max_concurrent_runs;
      if (patch.max_queued_runs !== undefined) next.max_queued_runs = patch.max_queued_runs;
      let statusEvent: ReturnType<typeof sessionStatusEvent> = null;
      if (patch.status && patch.status !== session.status) {
        if (!canTransition(session.status, patch.status)) {
          throw new AppError("invalid_transition", `A ${session.status} session cannot become ${patch.status}`, {
            from: session.status,
            to: patch.status,
          });
        }
        next.status = patch.status;
        statusEvent = sessionStatusEvent(patch.status, session.status);
      }
      this.record.put(next);
      if (!sessionEnded(session) && sessionEnded(next)) await this.tenant.endSession(next);
      if (statusEvent) this.appendBuilt([{ type: statusEvent, data: { from: session.status, to: next.status } }], "service");
      // A resumed session starts what waited in its queue.
      if (statusEvent) this.runManager.pump();
      await this.flushEagerly();
      return this.currentSession();
    });
  }

  /**
   * Soft delete marks the session and cancels its queued runs (it takes no new ones). Hard delete cancels and
   * kills everything, removes the sandbox workspace (processes, files, snapshots: if the sandbox cannot confirm,
   * nothing is deleted and the caller may retry), removes the session from D1 (one transaction) and wipes this
   * object; the caller removes the R2 objects whose keys it gets back.
   */
  async deleteSession(hard: boolean): Promise<Result<{ id: string; hard: boolean; artifact_keys: string[] }>> {
    return guarded(async () => {
      const session = this.requireSession(true);
      if (!hard) {
        const now = new Date().toISOString();
        this.record.put({ ...session, deleted_at: session.deleted_at ?? now, updated_at: now });
        await this.runManager.cancelAll("session deleted", false);
        await this.tenant.endSession(session);
        await this.flushEagerly();
        return { id: session.id, hard: false, artifact_keys: [] };
      }
      await this.runManager.cancelAll("session deleted", true);
      await this.tenant.endSession(session);
      if (sandboxConfigured(this.env)) await sandboxFor(this.env, session.id).deleteWorkspace();
      const keys = await this.flusher.store.hardDeleteSession(session.tenant_id, session.id);
      for (const ws of this.ctx.getWebSockets()) ws.close(1000, "session deleted");
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.init();
      return { id: session.id, hard: true, artifact_keys: keys };
    });
  }

  // ── events ─────────────────────────────────────────────────────────────

  /** A client's events (POST …/events): checked so none poses as the service's (core/event-rules.ts). */
  async appendEvents(inputs: EventInput[]): Promise<Result<Event[]>> {
    return guarded(() => {
      this.requireSession();
      inputs.forEach((input, i) => assertClientMayAppend(input, i));
      return this.appendBuilt(inputs, "client");
    });
  }

  async readEvents(q: ReadEventsQuery): Promise<Result<EventPage>> {
    return guarded(async () => {
      this.requireSession(true);
      const limit = Math.min(q.limit ?? this.config.defaultEventPageLimit, this.config.maxEventPageLimit);
      const filter: LogFilter = { run_id: q.run_id, types: q.types };
      const read = () =>
        this.log.read({ after: q.after, before: q.before, run_id: q.run_id, types: q.types, since: q.since, until: q.until, limit });
      let events = read();
      const wait = Math.min(q.wait_ms ?? 0, this.config.maxLongPollMs);
      const canGrow = q.before === undefined || (q.after ?? 0) + 1 < q.before;
      if (events.length === 0 && wait > 0 && canGrow) {
        const woke = await this.waiters.wait(q.after ?? 0, q.before, filter, wait);
        if (woke) events = read();
      }
      const last = events[events.length - 1];
      return {
        events,
        latest_sequence: this.log.lastSequence,
        next_after: last && events.length === limit ? last.sequence : null,
      };
    });
  }

  // Session queries (stats.ts): totals and counts from this object's own storage, so they match its reads.
  async sessionStats(): Promise<Result<SessionStats>> {
    return guarded(() => sessionStats(this.ctx.storage.sql, this.requireSession(true).id, this.log.lastSequence));
  }

  async countEvents(filter: EventFilter): Promise<Result<EventCount>> {
    return guarded(
      () => (this.requireSession(true), { count: countEvents(this.ctx.storage.sql, filter), latest_sequence: this.log.lastSequence }),
    );
  }

  /**
   * Restores an export into this fresh object (session-export.ts): the session under its new id, runs as given
   * (already re-id'd by the caller), events with their sequences. Ids of events are unique per session, so they stay.
   */
  async importSession(session: Session, runs: Run[], events: Event[], latestSequence: number): Promise<Result<Session>> {
    return guarded(async () => {
      if (this.record.get()) throw new AppError("already_exists", `Session ${session.id} already exists`);
      if (!sessionEnded(session)) await this.tenant.admitSession(session);
      this.record.put(session);
      const stored = events.map((e) => asImportedEvent(e, this.redactor));
      writeImported(this.ctx.storage.sql, this.ctx.storage, this.log, this.runs, runs, stored, latestSequence);
      await this.flushEagerly();
      return this.currentSession();
    });
  }

  /** Redacts, builds, appends (one transaction), then fans out. Returns stored events in input order. */
  private appendBuilt(inputs: EventInput[], origin: EventOrigin): Event[] {
    const now = new Date().toISOString();
    const built = inputs.map((input, i) => this.redactAndBuild(input, origin, now, i));
    let result: { events: Event[]; fresh: Event[] };
    try {
      const supplied = new Set(inputs.flatMap((input) => (input.id ? [input.id] : [])));
      result = this.log.append(built, this.ctx.storage, supplied);
    } catch (err) {
      this.log.resync();
      throw new AppError("storage_write_failed", "The event log could not be written", { cause: String(err) });
    }
    if (result.fresh.length > 0) {
      // Durable now: answer first; sockets, SSE streams and long-polls are served after (delivery.ts).
      this.delivery.afterAppend(result.fresh);
      this.ctx.waitUntil(this.flusher.noteAppend());
    }
    return result.events;
  }

  // ── runs ───────────────────────────────────────────────────────────────

  async submitRun(body: SubmitRunBody & { multitask?: Multitask }, idempotencyKey: string | null): Promise<Result<Run>> {
    return guarded(async () => {
      this.requireSession();
      const fingerprint = idempotencyKey ? await requestFingerprint(body) : null;
      return this.controls.submit(body, idempotencyKey, fingerprint);
    });
  }

  // Schedules (schedules.ts): run bodies submitted by this object's alarm.
  async createSchedule(body: CreateScheduleBody): Promise<Result<Schedule>> {
    return guarded(() => this.schedules.create(this.requireSession().id, body));
  }

  async listSchedules(): Promise<Result<Schedule[]>> {
    return guarded(() => (this.requireSession(), this.schedules.list()));
  }

  async getSchedule(id: string): Promise<Result<Schedule>> {
    return guarded(() => (this.requireSession(), this.schedules.get(id)));
  }

  async deleteSchedule(id: string): Promise<Result<Schedule>> {
    return guarded(() => (this.requireSession(), this.schedules.delete(id)));
  }

  // Session-wide controls (controls.ts): cancel all, drain, runtime status, pending approvals.
  async cancelAllRuns(): Promise<Result<{ cancelled: string[] }>> {
    return guarded(async () => (this.requireSession(), { cancelled: await this.controls.cancelAll() }));
  }

  async drain(timeoutMs: number): Promise<Result<DrainResponse>> {
    return guarded(() => (this.requireSession(), this.controls.drain(timeoutMs)));
  }

  async runtimeStatus(): Promise<Result<SessionRuntimeStatus>> {
    return guarded(() => {
      const session = this.requireSession();
      return runtimeStatus({
        session,
        controls: this.controls,
        latestSequence: this.log.lastSequence,
        flushedSequence: this.flusher.flushedThrough,
        subscribers: this.subscribers.counts,
        longPolls: this.waiters.size,
        isolation: () => sandboxIsolation(this.env, session.id),
      });
    });
  }

  async pendingApprovals(): Promise<Result<PendingApproval[]>> {
    return guarded(() => this.controls.pendingApprovals(this.requireSession().id));
  }

  async getRun(id: string): Promise<Result<Run>> {
    return guarded(() => {
      this.requireSession(true);
      return this.runManager.get(id);
    });
  }

  async listRuns(limit: number, after: number): Promise<Result<{ items: Run[]; next: number | null }>> {
    return guarded(() => {
      this.requireSession(true);
      return this.runManager.list(limit, after);
    });
  }

  async cancelRun(id: string): Promise<Result<Run>> {
    return guarded(() => {
      this.requireSession(true);
      return this.runManager.cancel(id);
    });
  }

  async waitRun(id: string, timeoutMs: number): Promise<Result<Run>> {
    return guarded(() => {
      this.requireSession(true);
      return this.runManager.wait(id, timeoutMs);
    });
  }

  async decideApproval(runId: string, toolCallId: string, decision: "grant" | "deny", reason: string | null): Promise<Result<Run>> {
    return guarded(() => {
      this.requireSession();
      return this.runManager.decide(runId, toolCallId, decision, reason);
    });
  }

  async getTranscript(): Promise<Result<Transcript>> {
    return guarded(() => {
      this.requireSession(true);
      // Built from redacted events; redacted again for events stored before every field was covered.
      return this.redactor.value(this.transcripts.current()).value;
    });
  }

  /**
   * Secrets never reach storage or subscribers: every field of every event, whatever its type or origin, is
   * redacted before it is built (so a size cut cannot leave half a secret behind) and written.
   */
  private redactAndBuild(input: EventInput, origin: EventOrigin, now: string, index: number): BuiltEvent {
    const { value, count } = this.redactor.value(input);
    const event = buildEvent(value, origin, now, this.config.maxEventDataBytes, index);
    return count === 0 ? event : { ...event, metadata: { ...event.metadata, _redactions: count } };
  }

  // ── live streams ───────────────────────────────────────────────────────

  /** WebSocket upgrades and SSE streams, forwarded by the Worker with validated parameters. */
  override async fetch(request: Request): Promise<Response> {
    const session = this.record.get();
    if (!session || session.deleted_at) {
      return Response.json(new AppError("session_not_found", "Session not found").toBody(), { status: 404 });
    }
    if (new URL(request.url).pathname.endsWith("/ws")) {
      const refused = this.tenant.refuseSubscriber(session, this.ctx.getWebSockets().length);
      if (refused) return refused;
    }
    return openStream(request, this.subscribers, {
      heartbeatMs: this.config.sseHeartbeatMs,
      maxQueued: this.config.subscriberMaxQueued,
      stallMs: this.config.subscriberStallMs,
    });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // "ping" is answered by the auto-response without waking us; acks grant flow-control credit; the rest is ignored.
    if (message === "close") return ws.close(1000, "bye");
    const ack = parseAck(message);
    if (ack !== null) this.subscribers.acknowledge(ws, ack);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.subscribers.socketClosed(ws);
    try {
      ws.close(code === 1005 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  // ── flushing and introspection ─────────────────────────────────────────

  override async alarm(): Promise<void> {
    // A flush alarm follows every stream of appends: if the object was put away before its delivery pass, this resumes it.
    this.delivery.schedule();
    for (const name of this.alarms.takeDue()) {
      if (name === "flush") {
        await this.flusher.onAlarm();
        await this.runFanOut();
      }
      if (name === "fanout") await this.runFanOut();
      // Keep-alive while runs execute: an alarm every 20 s keeps the object resident.
      if (name === "keepalive" || name === "tenant_slot") this.runManager.pump();
    }
    // Due schedules fire from whichever alarm comes first (their own deadline is SCHEDULE_ALARM).
    await this.schedules.onAlarm();
    await this.alarms.rearm();
  }

  /** Delivers to webhooks and the queue; a failing sink schedules its own retry. */
  private async runFanOut(): Promise<void> {
    const retryIn = await this.fanout.run();
    if (retryIn !== null) await this.alarms.set("fanout", Date.now() + retryIn);
  }

  /** The tenant ledger freed a run slot this session was waiting for. */
  async tenantSlotFreed(): Promise<void> {
    if (this.record.get()) this.runManager.pump();
  }

  /** A webhook for this session was added or removed: reload the list and deliver what the new one has not seen. */
  async webhooksChanged(): Promise<void> {
    this.fanout.forgetHooks();
    await this.runFanOut();
  }

  /** Retention: prunes this session's log per the policy (oldest first, protected types kept), here and in D1. */
  async applyRetention(policy: RetentionPolicy): Promise<Result<{ pruned: number }>> {
    return guarded(async () => {
      const session = this.requireSession(true);
      // Flush first: every doomed event is then in D1, so the two deletions below remove the same rows.
      await this.flusher.flushAll();
      const doomed = planEventPruning(this.log.index(), policy);
      if (doomed.length === 0) return { pruned: 0 };
      await this.flusher.store.pruneEvents(session.tenant_id, session.id, doomed);
      this.log.deleteSequences(doomed);
      this.transcripts.reset();
      return { pruned: doomed.length };
    });
  }

  /** Flush state and counters: the health report reads the flush lag, the storage-cost benchmark the rows written. */
  async stats(): Promise<
    FlushStatus & {
      subscribers: { websockets: number; sse: number };
      waiters: number;
      runs: { in_flight: string[]; queued: string[] };
      storage: { do_rows_written: number; d1_rows_written: number; d1_flushes: number };
    }
  > {
    return {
      ...this.flusher.status(),
      subscribers: this.subscribers.counts,
      waiters: this.waiters.size,
      runs: this.runManager.status,
      // Rows written since this instance started (what Cloudflare bills), for the storage-cost benchmark.
      storage: {
        do_rows_written: this.sqlMeter.rowsWritten,
        d1_rows_written: this.flusher.d1RowsWritten,
        d1_flushes: this.flusher.d1Flushes,
      },
    };
  }

  /** Session creation and status changes try D1 at once so lists see them; a failure leaves it to the alarm. */
  private async flushEagerly(): Promise<void> {
    try {
      await this.flusher.flushAll();
    } catch {
      await this.flusher.schedule(this.config.flushBackoffBaseMs);
    }
  }

  private requireSession(includeDeleted = false): Session {
    const session = this.record.get();
    if (!session || (session.deleted_at && !includeDeleted)) throw new AppError("session_not_found", "Session not found");
    return session;
  }

  private currentSession(): Session {
    const session = this.record.get()!;
    return { ...session, last_sequence: this.log.lastSequence };
  }
}

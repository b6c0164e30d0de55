import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { loadConfig, type Config } from "../core/config";
import { fail, ok, AppError, type Result } from "../core/errors";
import { quotaError, quotasFor, type TenantQuotas } from "../core/quotas";
import { take, type Bucket } from "../core/token-bucket";
import type { Env } from "../env";
import { migrateStorage } from "../session/storage-migrations";
import { LEDGER_MIGRATIONS, Ledger } from "./ledger";
import { staleSessions } from "./reconcile";

/** Retry hints for count quotas: when the count will drop is up to the client, so these are only suggestions. */
const RETRY_SESSIONS_MS = 10_000;
const RETRY_QUEUED_MS = 2_000;
/** A session admitted this long ago must be in D1 (creation flushes at once); older rows are checked against it. */
const RECONCILE_AGE_MS = 60_000;
const RECONCILE_EVERY_MS = 30_000;
/** When a slot frees, this many more waiting sessions than slots are woken (one may have nothing left to start). */
const WAKE_MARGIN = 2;
/** A renewal does not drop a run the ledger learnt of this recently: the renewal may have been composed before it. */
const SYNC_GRACE_MS = 10_000;

const IdArg = z.string().min(1).max(256);
const IdsArg = z.array(IdArg).max(10_000);
const CountArg = z.number().int().min(0).max(1_000_000_000);

export type RunSlot = { granted: boolean; running: number; limit: number };
export type EventGrant = { granted: number; remaining: number; limit: number };
export type TenantUsage = {
  tenant_id: string;
  quotas: TenantQuotas;
  usage: { active_sessions: number; concurrent_runs: number; queued_runs: number };
};

/**
 * One per tenant (`idFromName(tenant_id)`): the tenant's quota ledger. Counts (active sessions, queued and running
 * runs) live in its SQLite, runs as leases; the appended-events rate is a token bucket in memory (an eviction refills
 * it, which only ever errs towards the tenant). A DO runs one call at a time and SQLite calls are synchronous, so each
 * check-and-take below is atomic: two sessions cannot both take the last slot.
 */
export class TenantDO extends DurableObject<Env> {
  private readonly ledger: Ledger;
  private readonly config: Config;
  private bucket: Bucket | null = null;
  private reconciledAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateStorage(ctx.storage, LEDGER_MIGRATIONS);
    this.ledger = new Ledger(ctx.storage.sql);
    this.config = loadConfig(env);
  }

  async admitSession(tenantId: string, sessionId: string): Promise<Result<{ active_sessions: number }>> {
    return this.guard(tenantId, async (quotas) => {
      const id = IdArg.parse(sessionId);
      if (this.ledger.hasSession(id)) return { active_sessions: this.ledger.activeSessions() };
      if (this.ledger.activeSessions() >= quotas.active_sessions) await this.reconcile(tenantId);
      // Counted again after the await: the check and the insert below run with nothing in between.
      const active = this.ledger.activeSessions();
      if (active >= quotas.active_sessions) {
        throw quotaError(
          {
            quota: "active_sessions",
            limit: quotas.active_sessions,
            current: active,
            remaining: 0,
            retry_after_ms: RETRY_SESSIONS_MS,
            scope: "tenant",
          },
          "end or delete a session first",
        );
      }
      this.ledger.addSession(id, Date.now());
      return { active_sessions: active + 1 };
    });
  }

  /** The session ended or was deleted: it no longer counts, and neither do its runs. */
  async endSession(tenantId: string, sessionId: string): Promise<void> {
    const freed = this.ledger.removeSession(IdArg.parse(sessionId));
    this.wake(tenantId, freed);
  }

  /** A run is submitted: it takes a queued place (idempotent per run id). */
  async admitRun(tenantId: string, sessionId: string, runId: string): Promise<Result<{ queued_runs: number }>> {
    return this.guard(tenantId, (quotas) => {
      const [sid, rid] = [IdArg.parse(sessionId), IdArg.parse(runId)];
      const now = Date.now();
      this.wake(tenantId, this.ledger.expire(now));
      if (this.ledger.stateOf(rid)) return { queued_runs: this.ledger.runs("queued") };
      const queued = this.ledger.runs("queued");
      if (queued >= quotas.queued_runs) {
        throw quotaError(
          {
            quota: "queued_runs",
            limit: quotas.queued_runs,
            current: queued,
            remaining: 0,
            retry_after_ms: RETRY_QUEUED_MS,
            scope: "tenant",
          },
          "wait for queued runs to start",
        );
      }
      this.ledger.putRun(rid, sid, "queued", now, now + this.config.tenantLeaseMs);
      return { queued_runs: queued + 1 };
    });
  }

  /**
   * A queued run wants to start: it gets a running slot (a lease) or, when all are taken, the session is put on the
   * waiting list and woken (`tenantSlotFreed`) when one frees. Asking again for a run that holds a slot renews it.
   */
  async startRun(tenantId: string, sessionId: string, runId: string): Promise<Result<RunSlot>> {
    return this.guard(tenantId, (quotas) => {
      const [sid, rid] = [IdArg.parse(sessionId), IdArg.parse(runId)];
      const now = Date.now();
      this.wake(tenantId, this.ledger.expire(now));
      const running = this.ledger.runs("running");
      const limit = quotas.concurrent_runs;
      if (this.ledger.stateOf(rid) !== "running" && running >= limit) {
        this.ledger.addWaiting(sid, now);
        return { granted: false, running, limit };
      }
      this.ledger.putRun(rid, sid, "running", now, now + this.config.tenantLeaseMs);
      return { granted: true, running: this.ledger.runs("running"), limit };
    });
  }

  /** The run ended (or was cancelled while queued): its place or slot is given back. */
  async releaseRun(tenantId: string, runId: string): Promise<void> {
    this.wake(tenantId, this.ledger.removeRun(IdArg.parse(runId)) ? 1 : 0);
  }

  /** The session's full list of queued and running runs: renews their leases and drops whatever it no longer has. */
  async syncSession(tenantId: string, sessionId: string, queued: string[], running: string[]): Promise<void> {
    const now = Date.now();
    let freed = this.ledger.expire(now);
    freed += this.ledger.reconcileSessionRuns(
      IdArg.parse(sessionId),
      IdsArg.parse(queued),
      IdsArg.parse(running),
      now,
      now + this.config.tenantLeaseMs,
      SYNC_GRACE_MS,
    );
    this.wake(tenantId, freed);
  }

  /**
   * Takes `n` appended events from the tenant's bucket, plus up to `extra` the caller may spend without asking again
   * (a short local lease that saves a round trip per append).
   */
  async takeEvents(tenantId: string, n: number, extra: number): Promise<Result<EventGrant>> {
    return this.guard(tenantId, (quotas) => {
      const rate = quotas.events_per_second;
      const taken = take(this.bucket, CountArg.parse(n), CountArg.parse(extra), rate, rate, Date.now());
      this.bucket = taken.bucket;
      const remaining = Math.max(0, Math.floor(taken.bucket.tokens));
      if (!taken.ok) {
        throw quotaError(
          {
            quota: "events_per_second",
            limit: rate,
            current: n,
            remaining,
            retry_after_ms: taken.retryAfterMs,
            scope: "tenant",
            window_seconds: 1,
          },
          n > rate ? `a batch of ${n} events is admitted only when the bucket is full` : "slow down",
        );
      }
      return { granted: taken.granted, remaining, limit: rate };
    });
  }

  async usage(tenantId: string): Promise<Result<TenantUsage>> {
    return this.guard(tenantId, (quotas) => {
      this.wake(tenantId, this.ledger.expire(Date.now()));
      return {
        tenant_id: tenantId,
        quotas,
        usage: {
          active_sessions: this.ledger.activeSessions(),
          concurrent_runs: this.ledger.runs("running"),
          queued_runs: this.ledger.runs("queued"),
        },
      };
    });
  }

  /** Resolves the tenant's quotas (fail closed on a bad TENANT_QUOTAS) and turns AppErrors into Results. */
  private async guard<T>(tenantId: string, fn: (quotas: TenantQuotas) => T | Promise<T>): Promise<Result<T>> {
    try {
      return ok(await fn(quotasFor(this.env, IdArg.parse(tenantId))));
    } catch (err) {
      if (err instanceof AppError) return fail(err);
      if (err instanceof z.ZodError)
        return fail(new AppError("validation_error", `invalid tenant ledger call: ${err.issues[0]?.message ?? "bad argument"}`));
      throw err;
    }
  }

  /**
   * Rows of sessions whose end never reached us (a crash between ending and telling us) would count forever; when
   * the tenant is at its limit, sessions old enough to be in D1 and not active there are dropped.
   */
  private async reconcile(tenantId: string): Promise<void> {
    const now = Date.now();
    if (now - this.reconciledAt < RECONCILE_EVERY_MS) return;
    this.reconciledAt = now;
    const candidates = this.ledger.sessionsAdmittedBefore(now - RECONCILE_AGE_MS);
    try {
      for (const id of await staleSessions(this.env.DB, tenantId, candidates)) this.wake(tenantId, this.ledger.removeSession(id));
    } catch (err) {
      // D1 unavailable: keep counting what we have (the stricter answer).
      console.error("tenant ledger: reconcile with D1 failed", err);
    }
  }

  /** `freed` running slots came back: wake that many waiting sessions (and a few more), without waiting for them. */
  private wake(tenantId: string, freed: number): void {
    if (freed <= 0) return;
    for (const sessionId of this.ledger.takeWaiting(freed + WAKE_MARGIN)) {
      const stub = this.env.SESSIONS.get(this.env.SESSIONS.idFromName(`${tenantId}:${sessionId}`));
      this.ctx.waitUntil(stub.tenantSlotFreed().catch((err: unknown) => console.error("tenant ledger: wake failed", sessionId, err)));
    }
  }
}

import type { Config } from "../core/config";
import { AppError } from "../core/errors";
import { quotaError, quotaHeadersOf, quotasFor } from "../core/quotas";
import type { Session } from "../core/session";
import type { Env } from "../env";
import { tenantLedger, type TenantLedger } from "../tenants/client";
import type { Alarms } from "./alarms";

/** What the run queue needs from the tenant: a queued place per run, a running slot per run, and their return. */
export interface RunSlots {
  /** A submitted run takes a queued place; throws a 429 (or 503 when the ledger cannot be asked). */
  admit(runId: string): Promise<void>;
  /** A running slot for the run; false: none is free now, and `waitForSlot` arranges to try again. */
  acquire(runId: string): Promise<boolean>;
  /** The run ended or left the queue: its place or slot goes back (best effort; leases and renewals heal a loss). */
  release(runId: string): void;
  /** The session's queued and running runs (listed only when due): renews their leases, at most every third of a lease. */
  renew(runs: () => { queued: string[]; running: string[] }): void;
  /** Tries again later: an alarm with backoff, or sooner when the ledger wakes us. */
  waitForSlot(): void;
}

const SLOT_RETRY_MIN_MS = 250;
const SLOT_RETRY_MAX_MS = 5_000;
const WS_RETRY_MS = 5_000;

/**
 * The session's side of its tenant's quotas (the TenantDO ledger): admits the session and its runs, takes and gives
 * back run slots, renews their leases, and refuses a WebSocket over the per-session limit.
 */
export class TenantLink implements RunSlots {
  private ledger: TenantLedger | null = null;
  private retryMs = 0;
  private renewedAt = 0;

  constructor(
    private readonly d: {
      env: Env;
      config: Config;
      alarms: Alarms;
      session: () => Session | null;
      waitUntil: (p: Promise<unknown>) => void;
    },
  ) {}

  /**
   * One client (one stub) for the life of this object: calls through the same stub arrive in the order they were
   * sent, so a renewal can never overtake a later release.
   */
  private client(tenantId?: string): { ledger: TenantLedger; sessionId: string } {
    const session = this.d.session();
    const tenant = tenantId ?? session?.tenant_id;
    if (!tenant || !session) throw new AppError("internal_error", "tenant link used without a session");
    this.ledger ??= tenantLedger(this.d.env, tenant);
    return { ledger: this.ledger, sessionId: session.id };
  }

  /** Before the session is stored: refused (429) when the tenant has its limit of active sessions. */
  async admitSession(session: Session): Promise<void> {
    await tenantLedger(this.d.env, session.tenant_id).admitSession(session.id);
  }

  /** The session ended or was deleted: it stops counting. Best effort; the ledger reconciles with D1 if this is lost. */
  async endSession(session: Session): Promise<void> {
    try {
      await tenantLedger(this.d.env, session.tenant_id).endSession(session.id);
    } catch (err) {
      console.error("tenant ledger: could not end session", session.id, err);
    }
  }

  async admit(runId: string): Promise<void> {
    const { ledger, sessionId } = this.client();
    await ledger.admitRun(sessionId, runId);
  }

  async acquire(runId: string): Promise<boolean> {
    try {
      const { ledger, sessionId } = this.client();
      const slot = await ledger.startRun(sessionId, runId);
      if (slot.granted) this.retryMs = 0;
      return slot.granted;
    } catch (err) {
      // Fail closed: a slot that cannot be confirmed is not taken; the run stays queued and we try again.
      console.error("tenant ledger: no run slot", runId, err);
      return false;
    }
  }

  release(runId: string): void {
    this.background(() => {
      const { ledger } = this.client();
      return ledger.releaseRun(runId);
    });
  }

  renew(runs: () => { queued: string[]; running: string[] }): void {
    const now = Date.now();
    if (now - this.renewedAt < this.d.config.tenantLeaseMs / 3) return;
    const { queued, running } = runs();
    if (queued.length + running.length === 0) return;
    this.renewedAt = now;
    this.background(() => {
      const { ledger, sessionId } = this.client();
      return ledger.syncSession(sessionId, queued, running);
    });
  }

  waitForSlot(): void {
    this.retryMs = Math.min(Math.max(SLOT_RETRY_MIN_MS, this.retryMs * 2), SLOT_RETRY_MAX_MS);
    this.d.waitUntil(this.d.alarms.set("tenant_slot", Date.now() + this.retryMs, true));
  }

  /** A WebSocket upgrade over the session's subscriber limit: the 429 to answer with (headers included), else null. */
  refuseSubscriber(session: Session, open: number): Response | null {
    let err: AppError | null = null;
    try {
      const limit = quotasFor(this.d.env, session.tenant_id).ws_subscribers_per_session;
      if (open < limit) return null;
      err = quotaError(
        { quota: "ws_subscribers_per_session", limit, current: open, remaining: 0, retry_after_ms: WS_RETRY_MS, scope: "session" },
        "close a subscriber first",
      );
    } catch (thrown) {
      if (!(thrown instanceof AppError)) throw thrown;
      err = thrown;
    }
    return Response.json(err.toBody(), { status: err.status, headers: quotaHeadersOf(err) ?? {} });
  }

  private background(call: () => Promise<unknown>): void {
    this.d.waitUntil(
      (async () => {
        try {
          await call();
        } catch (err) {
          console.error("tenant ledger: update failed (the lease or the next renewal corrects it)", err);
        }
      })(),
    );
  }
}

import { AppError, unwrap, type Result } from "../core/errors";
import type { Env } from "../env";
import type { EventGrant, RunSlot, TenantDO, TenantUsage } from "./TenantDO";

/**
 * The tenant's ledger (TenantDO, one per tenant) as the Worker and the session DOs call it. Fails closed: with no
 * binding, or a ledger that does not answer, whatever the quota guards is refused with `dependency_not_available`.
 */
export type TenantLedger = ReturnType<typeof tenantLedger>;

export function tenantLedger(env: Pick<Env, "TENANTS">, tenantId: string) {
  // One stub for every call of this client: calls through one stub arrive in the order they were made.
  let cached: DurableObjectStub<TenantDO> | null = null;
  const stub = () => {
    if (!env.TENANTS) throw new AppError("dependency_not_available", "Tenant quotas cannot be checked: the TENANTS Durable Object binding is missing");
    cached ??= env.TENANTS.get(env.TENANTS.idFromName(tenantId));
    return cached;
  };
  /** One RPC; a thrown AppError (a refusal) passes through, anything else means the ledger could not be asked. */
  async function ask<T>(fn: () => Promise<unknown>): Promise<T> {
    let result: unknown;
    try {
      result = await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError("dependency_not_available", `Tenant quotas cannot be checked: the tenant ledger did not answer (${err instanceof Error ? err.message : String(err)})`);
    }
    // The stub's inferred types flatten the Result's JSON; the DO's method says what it is.
    return result === undefined ? (undefined as T) : unwrap(result as Result<T>);
  }
  return {
    admitSession: (sessionId: string) => ask<{ active_sessions: number }>(() => stub().admitSession(tenantId, sessionId)),
    endSession: (sessionId: string) => ask<void>(() => stub().endSession(tenantId, sessionId)),
    admitRun: (sessionId: string, runId: string) => ask<{ queued_runs: number }>(() => stub().admitRun(tenantId, sessionId, runId)),
    startRun: (sessionId: string, runId: string) => ask<RunSlot>(() => stub().startRun(tenantId, sessionId, runId)),
    releaseRun: (runId: string) => ask<void>(() => stub().releaseRun(tenantId, runId)),
    syncSession: (sessionId: string, queued: string[], running: string[]) => ask<void>(() => stub().syncSession(tenantId, sessionId, queued, running)),
    takeEvents: (n: number, extra: number) => ask<EventGrant>(() => stub().takeEvents(tenantId, n, extra)),
    usage: () => ask<TenantUsage>(() => stub().usage(tenantId)),
  };
}

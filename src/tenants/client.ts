import { AppError, unwrap, type Result } from "../core/errors";
import type { Env } from "../env";
import type { RpcClient } from "../rpc-client";
import type { TenantDO } from "./TenantDO";

/**
 * The tenant's ledger (TenantDO, one per tenant) as the Worker and the session DOs call it. Fails closed: with no
 * binding, or a ledger that does not answer, whatever the quota guards is refused with `dependency_not_available`.
 */
export type TenantLedger = ReturnType<typeof tenantLedger>;

export function tenantLedger(env: Pick<Env, "TENANTS">, tenantId: string) {
  // One stub for every call of this client: calls through one stub arrive in the order they were made.
  let cached: RpcClient<TenantDO> | null = null;
  const stub = (): RpcClient<TenantDO> => {
    if (!env.TENANTS)
      throw new AppError("dependency_not_available", "Tenant quotas cannot be checked: the TENANTS Durable Object binding is missing");
    cached ??= env.TENANTS.get(env.TENANTS.idFromName(tenantId));
    return cached;
  };
  /** One RPC; a thrown AppError (a refusal) passes through, anything else means the ledger could not be asked. */
  async function tell<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError(
        "dependency_not_available",
        `Tenant quotas cannot be checked: the tenant ledger did not answer (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  /** An RPC that answers with a Result: its refusal is thrown as the AppError it carries. */
  const ask = async <T>(fn: () => Promise<Result<T>>): Promise<T> => unwrap(await tell(fn));
  return {
    admitSession: (sessionId: string) => ask(() => stub().admitSession(tenantId, sessionId)),
    endSession: (sessionId: string) => tell(() => stub().endSession(tenantId, sessionId)),
    admitRun: (sessionId: string, runId: string) => ask(() => stub().admitRun(tenantId, sessionId, runId)),
    startRun: (sessionId: string, runId: string) => ask(() => stub().startRun(tenantId, sessionId, runId)),
    releaseRun: (runId: string) => tell(() => stub().releaseRun(tenantId, runId)),
    syncSession: (sessionId: string, queued: string[], running: string[]) =>
      tell(() => stub().syncSession(tenantId, sessionId, queued, running)),
    takeEvents: (n: number, extra: number) => ask(() => stub().takeEvents(tenantId, n, extra)),
    usage: () => ask(() => stub().usage(tenantId)),
  };
}

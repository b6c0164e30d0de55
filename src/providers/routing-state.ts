import { z } from "zod";
import {
  BreakerConfigSchema,
  canRequest,
  FRESH_RECORD,
  ProviderRoutingRecordSchema,
  recordFailure,
  recordSuccess,
  releaseAttempt,
  snapshotOf,
  StickyBindingSchema,
  boundProvider,
  bindProvider,
  type BreakerConfig,
  type ProviderRoutingRecord,
  type ProviderRoutingSnapshot,
  type StickyBinding,
} from "../core/routing";
import type { RpcClient } from "../rpc-client";
import type { RoutingStateDO } from "./RoutingStateDO";

/**
 * The routing state of one tenant: a breaker and health record per provider plus sticky bindings. Shared by every
 * session of the tenant (in production one RoutingStateDO per tenant), so a provider failing for one session is
 * skipped by the others. Every method takes `now` so the caller's clock rules; mutations are atomic per call.
 */

export const RoutingViewSchema = z.object({
  providers: z.record(z.string(), ProviderRoutingRecordSchema),
  /** The binding of the sticky id asked for, if it exists and has not expired. */
  binding: StickyBindingSchema.nullable(),
});
export type RoutingView = z.infer<typeof RoutingViewSchema>;

export const StickyRequestSchema = z.object({ sticky_id: z.string().min(1), ttl_ms: z.number().int().min(0) });
export type StickyRequest = z.infer<typeof StickyRequestSchema>;

export interface RoutingStateStore {
  /** Every provider's record (absent = fresh) and the live binding of `stickyId`. */
  view(stickyId: string | null, now: number): Promise<RoutingView>;
  /** Asks the breaker for a request (takes a half-open probe). False: the circuit refuses; do not call the provider. */
  acquire(provider: string, now: number, config: BreakerConfig): Promise<boolean>;
  /** Closes the circuit, resets health, and (re)binds the sticky id to this provider. */
  recordSuccess(provider: string, now: number, sticky: StickyRequest | null): Promise<void>;
  /** Counts a provider failure in its breaker and health. */
  recordFailure(provider: string, now: number, config: BreakerConfig): Promise<void>;
  /** An attempt ended with no verdict on the provider (cancelled, non-retryable error): give back its probe. */
  release(provider: string): Promise<void>;
  /** Per provider with any history: circuit state, failures, last failure. */
  snapshot(): Promise<Record<string, ProviderRoutingSnapshot>>;
}

/** The storage a store needs: synchronous, so each operation below is atomic where storage is (DO SQLite, memory). */
export interface RoutingTables {
  getRecord(provider: string): ProviderRoutingRecord | null;
  putRecord(provider: string, record: ProviderRoutingRecord): void;
  allRecords(): Record<string, ProviderRoutingRecord>;
  getBinding(stickyId: string): StickyBinding | null;
  putBinding(stickyId: string, binding: StickyBinding): void;
  /** Drops bindings that expired at or before `now`. */
  pruneBindings(now: number): void;
}

/** The store's logic over any tables; the memory store and the Durable Object both use it. */
export class RoutingStateLogic {
  constructor(private readonly tables: RoutingTables) {}

  view(stickyId: string | null, now: number): RoutingView {
    const binding = stickyId === null ? null : this.tables.getBinding(stickyId);
    return { providers: this.tables.allRecords(), binding: boundProvider(binding, now) === null ? null : binding };
  }

  acquire(provider: string, now: number, config: BreakerConfig): boolean {
    const record = this.record(provider);
    const decision = canRequest(record.breaker, now, config);
    if (decision.state !== record.breaker) this.tables.putRecord(provider, { ...record, breaker: decision.state });
    return decision.allowed;
  }

  recordSuccess(provider: string, now: number, sticky: StickyRequest | null): void {
    this.tables.putRecord(provider, recordSuccess(this.record(provider)));
    if (sticky) {
      this.tables.pruneBindings(now);
      this.tables.putBinding(sticky.sticky_id, bindProvider(provider, now, sticky.ttl_ms));
    }
  }

  recordFailure(provider: string, now: number, config: BreakerConfig): void {
    this.tables.putRecord(provider, recordFailure(this.record(provider), now, config));
  }

  release(provider: string): void {
    const record = this.tables.getRecord(provider);
    if (record) this.tables.putRecord(provider, releaseAttempt(record));
  }

  snapshot(): Record<string, ProviderRoutingSnapshot> {
    return Object.fromEntries(Object.entries(this.tables.allRecords()).map(([id, rec]) => [id, snapshotOf(rec)]));
  }

  private record(provider: string): ProviderRoutingRecord {
    return this.tables.getRecord(provider) ?? FRESH_RECORD;
  }
}

class MemoryTables implements RoutingTables {
  private readonly records = new Map<string, ProviderRoutingRecord>();
  private readonly bindings = new Map<string, StickyBinding>();
  getRecord(provider: string) {
    return this.records.get(provider) ?? null;
  }
  putRecord(provider: string, record: ProviderRoutingRecord) {
    this.records.set(provider, record);
  }
  allRecords() {
    return Object.fromEntries(this.records);
  }
  getBinding(stickyId: string) {
    return this.bindings.get(stickyId) ?? null;
  }
  putBinding(stickyId: string, binding: StickyBinding) {
    this.bindings.set(stickyId, binding);
  }
  pruneBindings(now: number) {
    for (const [id, b] of this.bindings) if (b.expires_at <= now) this.bindings.delete(id);
  }
}

/** In-process store: for tests and for a single isolate. */
export class MemoryRoutingStateStore implements RoutingStateStore {
  private readonly logic = new RoutingStateLogic(new MemoryTables());
  async view(stickyId: string | null, now: number) {
    return structuredClone(this.logic.view(stickyId, now));
  }
  async acquire(provider: string, now: number, config: BreakerConfig) {
    return this.logic.acquire(provider, now, config);
  }
  async recordSuccess(provider: string, now: number, sticky: StickyRequest | null) {
    this.logic.recordSuccess(provider, now, sticky);
  }
  async recordFailure(provider: string, now: number, config: BreakerConfig) {
    this.logic.recordFailure(provider, now, config);
  }
  async release(provider: string) {
    this.logic.release(provider);
  }
  async snapshot() {
    return this.logic.snapshot();
  }
}

/** The tenant's shared store: the RoutingStateDO named by the tenant id. */
export function routingStoreFor(ns: DurableObjectNamespace<RoutingStateDO>, tenantId: string): RoutingStateStore {
  const stub: RpcClient<RoutingStateDO> = ns.get(ns.idFromName(tenantId));
  return {
    view: async (stickyId, now) => RoutingViewSchema.parse(await stub.view(stickyId, now)),
    acquire: (provider, now, config) => stub.acquire(provider, now, BreakerConfigSchema.parse(config)),
    recordSuccess: (provider, now, sticky) => stub.recordSuccess(provider, now, sticky),
    recordFailure: (provider, now, config) => stub.recordFailure(provider, now, BreakerConfigSchema.parse(config)),
    release: (provider) => stub.release(provider),
    snapshot: () => stub.snapshot(),
  };
}

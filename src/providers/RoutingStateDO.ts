import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  BreakerConfigSchema,
  ProviderRoutingRecordSchema,
  StickyBindingSchema,
  type ProviderRoutingRecord,
  type ProviderRoutingSnapshot,
  type StickyBinding,
} from "../core/routing";
import type { Env } from "../env";
import { migrateStorage, type StorageMigration } from "../session/storage-migrations";
import { RoutingStateLogic, StickyRequestSchema, type RoutingTables, type RoutingView } from "./routing-state";

/** The RoutingStateDO's storage schema; version 1 is what the pre-versioning builds created. */
export const ROUTING_MIGRATIONS: readonly StorageMigration[] = [
  {
    version: 1,
    description: "providers, sticky (expiry index)",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS providers (provider TEXT PRIMARY KEY, record TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS sticky (sticky_id TEXT PRIMARY KEY, provider TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
      sql.exec(`CREATE INDEX IF NOT EXISTS sticky_expiry ON sticky (expires_at)`);
    },
  },
];

/** RoutingTables over the DO's SQLite (tables from ROUTING_MIGRATIONS): one row per provider, one per sticky id. */
class SqlRoutingTables implements RoutingTables {
  constructor(private readonly sql: SqlStorage) {}

  getRecord(provider: string): ProviderRoutingRecord | null {
    const row = this.sql.exec<{ record: string }>(`SELECT record FROM providers WHERE provider = ?`, provider).toArray()[0];
    return row ? this.parseRecord(row.record) : null;
  }

  putRecord(provider: string, record: ProviderRoutingRecord): void {
    this.sql.exec(
      `INSERT INTO providers (provider, record) VALUES (?, ?) ON CONFLICT(provider) DO UPDATE SET record = excluded.record`,
      provider,
      JSON.stringify(record),
    );
  }

  allRecords(): Record<string, ProviderRoutingRecord> {
    const out: Record<string, ProviderRoutingRecord> = {};
    for (const row of this.sql.exec<{ provider: string; record: string }>(`SELECT provider, record FROM providers`)) {
      const record = this.parseRecord(row.record);
      if (record) out[row.provider] = record;
    }
    return out;
  }

  getBinding(stickyId: string): StickyBinding | null {
    const row = this.sql
      .exec<{ provider: string; expires_at: number }>(`SELECT provider, expires_at FROM sticky WHERE sticky_id = ?`, stickyId)
      .toArray()[0];
    return row ? StickyBindingSchema.parse(row) : null;
  }

  putBinding(stickyId: string, binding: StickyBinding): void {
    this.sql.exec(
      `INSERT INTO sticky (sticky_id, provider, expires_at) VALUES (?, ?, ?)
       ON CONFLICT(sticky_id) DO UPDATE SET provider = excluded.provider, expires_at = excluded.expires_at`,
      stickyId,
      binding.provider,
      binding.expires_at,
    );
  }

  pruneBindings(now: number): void {
    this.sql.exec(`DELETE FROM sticky WHERE expires_at <= ?`, now);
  }

  /** A corrupt row reads as absent (a fresh provider) rather than breaking routing for the tenant. */
  private parseRecord(text: string): ProviderRoutingRecord | null {
    try {
      const parsed = ProviderRoutingRecordSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

const ProviderArg = z.string().min(1).max(64);
const NowArg = z.number().finite();
const StickyIdArg = z.string().min(1).max(256).nullable();

/**
 * One per tenant (`idFromName(tenant_id)`): the circuit breakers, health and sticky bindings that all sessions of
 * the tenant share. RPC methods mirror RoutingStateStore; a DO runs one call at a time and SQLite calls are
 * synchronous, so each method is atomic (two sessions cannot both take the one half-open probe).
 */
export class RoutingStateDO extends DurableObject<Env> {
  private readonly logic: RoutingStateLogic;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateStorage(ctx.storage, ROUTING_MIGRATIONS);
    this.logic = new RoutingStateLogic(new SqlRoutingTables(ctx.storage.sql));
  }

  view(stickyId: string | null, now: number): RoutingView {
    return this.logic.view(StickyIdArg.parse(stickyId), NowArg.parse(now));
  }

  acquire(provider: string, now: number, config: unknown): boolean {
    return this.logic.acquire(ProviderArg.parse(provider), NowArg.parse(now), BreakerConfigSchema.parse(config));
  }

  recordSuccess(provider: string, now: number, sticky: unknown): void {
    this.logic.recordSuccess(ProviderArg.parse(provider), NowArg.parse(now), StickyRequestSchema.nullable().parse(sticky));
  }

  recordFailure(provider: string, now: number, config: unknown): void {
    this.logic.recordFailure(ProviderArg.parse(provider), NowArg.parse(now), BreakerConfigSchema.parse(config));
  }

  release(provider: string): void {
    this.logic.release(ProviderArg.parse(provider));
  }

  /** For `GET /v1/providers`. */
  snapshot(): Record<string, ProviderRoutingSnapshot> {
    return this.logic.snapshot();
  }
}

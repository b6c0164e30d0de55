import { z } from "zod";
import { BreakerStateSchema, CLOSED_BREAKER, onFailure, onSuccess, releaseProbe, wouldAllow, type BreakerConfig } from "./breaker";
import { HEALTHY, HealthStateSchema, inCooldown, recordHealthFailure, recordHealthSuccess } from "./health";
import type { RoutingPolicy } from "./policy";

/** What is remembered per provider, shared by all sessions of a tenant: its circuit and its health. */
export const ProviderRoutingRecordSchema = z.object({
  breaker: BreakerStateSchema,
  health: HealthStateSchema,
});
export type ProviderRoutingRecord = z.infer<typeof ProviderRoutingRecordSchema>;

export const FRESH_RECORD: ProviderRoutingRecord = Object.freeze({ breaker: CLOSED_BREAKER, health: HEALTHY });

export function recordFailure(record: ProviderRoutingRecord, now: number, config: BreakerConfig): ProviderRoutingRecord {
  return { breaker: onFailure(record.breaker, now, config), health: recordHealthFailure(record.health, now) };
}

export function recordSuccess(record: ProviderRoutingRecord): ProviderRoutingRecord {
  return { breaker: onSuccess(record.breaker), health: recordHealthSuccess(record.health) };
}

export function releaseAttempt(record: ProviderRoutingRecord): ProviderRoutingRecord {
  return { ...record, breaker: releaseProbe(record.breaker) };
}

/** Neither in health cooldown nor behind a circuit that would refuse it (when the breaker is on). */
export function isAvailable(record: ProviderRoutingRecord, now: number, policy: Pick<RoutingPolicy, "cooldown_ms" | "breaker">): boolean {
  if (inCooldown(record.health, now, policy.cooldown_ms)) return false;
  return !policy.breaker.enabled || wouldAllow(record.breaker, now, policy.breaker);
}

/** The per-provider view for `GET /v1/providers`: plain JSON, times as ISO strings. */
export const ProviderRoutingSnapshotSchema = z.object({
  circuit: z.enum(["closed", "open", "half_open"]),
  failures: z.number().int(),
  consecutive_failures: z.number().int(),
  last_failure_at: z.string().nullable(),
  opened_at: z.string().nullable(),
});
export type ProviderRoutingSnapshot = z.infer<typeof ProviderRoutingSnapshotSchema>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function snapshotOf(record: ProviderRoutingRecord): ProviderRoutingSnapshot {
  return {
    circuit: record.breaker.status,
    failures: record.breaker.failures,
    consecutive_failures: record.health.failures,
    last_failure_at: iso(record.health.last_failure_at),
    opened_at: iso(record.breaker.opened_at),
  };
}

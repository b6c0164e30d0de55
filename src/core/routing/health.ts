import { z } from "zod";

/**
 * Per-provider health: consecutive failures and when the last one happened. A provider with failures
 * is skipped until `cooldown_ms` has passed since its last failure; a success resets it. Pure, time injected.
 */

export const HealthStateSchema = z.object({
  failures: z.number().int().min(0),
  last_failure_at: z.number().nullable(),
});
export type HealthState = z.infer<typeof HealthStateSchema>;

export const HEALTHY: HealthState = Object.freeze({ failures: 0, last_failure_at: null });

export const DEFAULT_HEALTH_COOLDOWN_MS = 30_000;

export function recordHealthFailure(state: HealthState, now: number): HealthState {
  return { failures: state.failures + 1, last_failure_at: now };
}

export function recordHealthSuccess(_state: HealthState): HealthState {
  return HEALTHY;
}

export function inCooldown(state: HealthState, now: number, cooldownMs: number): boolean {
  return state.failures > 0 && state.last_failure_at !== null && now - state.last_failure_at < cooldownMs;
}

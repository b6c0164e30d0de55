import { z } from "zod";

/**
 * A per-provider circuit breaker: `closed → open → half_open → closed|open`.
 * Pure: time comes in as `now` (ms since epoch), state goes out as a new value.
 */

export const BreakerConfigSchema = z.object({
  failure_threshold: z.number().int().min(1).default(5),
  cooldown_ms: z.number().int().min(0).default(30_000),
  half_open_max_probes: z.number().int().min(1).default(1),
});
export type BreakerConfig = z.infer<typeof BreakerConfigSchema>;
export const DEFAULT_BREAKER_CONFIG: BreakerConfig = Object.freeze(BreakerConfigSchema.parse({}));

export const CIRCUIT_STATUSES = ["closed", "open", "half_open"] as const;
export const CircuitStatusSchema = z.enum(CIRCUIT_STATUSES);
export type CircuitStatus = z.infer<typeof CircuitStatusSchema>;

export const BreakerStateSchema = z.object({
  status: CircuitStatusSchema,
  /** Failures counted while closed (reset by a success); kept across open/half_open for reporting. */
  failures: z.number().int().min(0),
  /** When the circuit last opened; the cooldown runs from here. */
  opened_at: z.number().nullable(),
  /** When the circuit moved to half_open; lets a probe that never reported back expire. */
  half_opened_at: z.number().nullable(),
  /** Probes handed out since entering half_open. */
  probes: z.number().int().min(0),
});
export type BreakerState = z.infer<typeof BreakerStateSchema>;

export const CLOSED_BREAKER: BreakerState = Object.freeze({
  status: "closed",
  failures: 0,
  opened_at: null,
  half_opened_at: null,
  probes: 0,
});

/**
 * May a request go to this provider now? Returns the state to store: an open circuit whose cooldown has passed
 * moves to half_open with probes reset, and an allowed half-open request counts as a probe.
 */
export function canRequest(state: BreakerState, now: number, config: BreakerConfig): { allowed: boolean; state: BreakerState } {
  let current = state;
  if (current.status === "open") {
    if (current.opened_at !== null && now - current.opened_at < config.cooldown_ms) return { allowed: false, state: current };
    current = { ...current, status: "half_open", half_opened_at: now, probes: 0 };
  }
  if (current.status === "half_open") {
    // A probe whose caller vanished (crash, lost RPC) would hold half_open forever: after another cooldown, hand out fresh probes.
    if (
      current.probes >= config.half_open_max_probes &&
      current.half_opened_at !== null &&
      now - current.half_opened_at >= config.cooldown_ms
    ) {
      current = { ...current, half_opened_at: now, probes: 0 };
    }
    if (current.probes >= config.half_open_max_probes) return { allowed: false, state: current };
    return { allowed: true, state: { ...current, probes: current.probes + 1 } };
  }
  return { allowed: true, state: current };
}

/** Whether `canRequest` would allow a request, without taking a probe: for filtering candidates. */
export function wouldAllow(state: BreakerState, now: number, config: BreakerConfig): boolean {
  return canRequest(state, now, config).allowed;
}

/** A success closes the circuit and resets its counters, whatever the state. */
export function onSuccess(_state: BreakerState): BreakerState {
  return CLOSED_BREAKER;
}

/** A failure counts toward the threshold while closed, and sends a half-open circuit straight back to open. */
export function onFailure(state: BreakerState, now: number, config: BreakerConfig): BreakerState {
  const failures = state.failures + 1;
  switch (state.status) {
    case "closed":
      return failures >= config.failure_threshold
        ? { status: "open", failures, opened_at: now, half_opened_at: null, probes: 0 }
        : { ...state, failures };
    case "half_open":
      return { status: "open", failures, opened_at: now, half_opened_at: null, probes: 0 };
    case "open":
      // A late failure from a request let through before the circuit opened: the cooldown is not extended.
      return { ...state, failures };
  }
}

/** A probe that ended without a verdict (cancelled, or an error that says nothing about the provider) is given back. */
export function releaseProbe(state: BreakerState): BreakerState {
  if (state.status !== "half_open" || state.probes === 0) return state;
  return { ...state, probes: state.probes - 1 };
}

import { describe, expect, it } from "vitest";
import {
  BreakerConfigSchema,
  BreakerStateSchema,
  canRequest,
  CLOSED_BREAKER,
  DEFAULT_BREAKER_CONFIG,
  onFailure,
  onSuccess,
  releaseProbe,
  type BreakerConfig,
  type BreakerState,
} from "../../../src/core/routing";

const config: BreakerConfig = { failure_threshold: 3, cooldown_ms: 1_000, half_open_max_probes: 2 };

function failTimes(n: number, now: number, cfg = config, from: BreakerState = CLOSED_BREAKER): BreakerState {
  let s = from;
  for (let i = 0; i < n; i++) s = onFailure(s, now, cfg);
  return s;
}

describe("breaker config", () => {
  it("defaults to threshold 5, cooldown 30s, one half-open probe", () => {
    expect(DEFAULT_BREAKER_CONFIG).toEqual({ failure_threshold: 5, cooldown_ms: 30_000, half_open_max_probes: 1 });
  });
  it("rejects a zero threshold and negative cooldown", () => {
    expect(BreakerConfigSchema.safeParse({ failure_threshold: 0 }).success).toBe(false);
    expect(BreakerConfigSchema.safeParse({ cooldown_ms: -1 }).success).toBe(false);
  });
});

describe("breaker transitions", () => {
  it("stays closed below the threshold and opens when failures reach it", () => {
    const two = failTimes(2, 100);
    expect(two).toMatchObject({ status: "closed", failures: 2 });
    expect(canRequest(two, 100, config).allowed).toBe(true);
    const three = onFailure(two, 150, config);
    expect(three).toMatchObject({ status: "open", failures: 3, opened_at: 150 });
    expect(BreakerStateSchema.parse(three)).toEqual(three);
  });

  it("a success while closed resets the count", () => {
    expect(onSuccess(failTimes(2, 100))).toEqual(CLOSED_BREAKER);
    expect(failTimes(2, 200, config, onSuccess(failTimes(2, 100)))).toMatchObject({ status: "closed", failures: 2 });
  });

  it("blocks requests while open until the cooldown has passed, then goes half_open with the probe counted", () => {
    const open = failTimes(3, 1_000);
    const blocked = canRequest(open, 1_999, config);
    expect(blocked).toEqual({ allowed: false, state: open });
    const probe = canRequest(open, 2_000, config);
    expect(probe.allowed).toBe(true);
    expect(probe.state).toMatchObject({ status: "half_open", probes: 1, half_opened_at: 2_000 });
  });

  it("half_open allows only half_open_max_probes requests", () => {
    let s = failTimes(3, 0);
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const d = canRequest(s, 1_000 + i, config);
      allowed.push(d.allowed);
      s = d.state;
    }
    expect(allowed).toEqual([true, true, false, false]);
    expect(s).toMatchObject({ status: "half_open", probes: 2 });
  });

  it("a success in half_open closes the circuit", () => {
    const half = canRequest(failTimes(3, 0), 1_000, config).state;
    const closed = onSuccess(half);
    expect(closed).toEqual(CLOSED_BREAKER);
    expect(canRequest(closed, 1_001, config)).toEqual({ allowed: true, state: CLOSED_BREAKER });
  });

  it("a failure in half_open reopens with a fresh cooldown", () => {
    const half = canRequest(failTimes(3, 0), 1_000, config).state;
    const reopened = onFailure(half, 1_500, config);
    expect(reopened).toMatchObject({ status: "open", opened_at: 1_500, probes: 0 });
    expect(canRequest(reopened, 2_499, config).allowed).toBe(false);
    expect(canRequest(reopened, 2_500, config).allowed).toBe(true);
  });

  it("a late failure while open does not extend the cooldown", () => {
    const open = failTimes(3, 0);
    const later = onFailure(open, 900, config);
    expect(later).toMatchObject({ status: "open", opened_at: 0, failures: 4 });
  });

  it("a released probe can be taken again", () => {
    const one = { ...config, half_open_max_probes: 1 };
    const half = canRequest(failTimes(3, 0, one), 1_000, one).state;
    expect(canRequest(half, 1_001, one).allowed).toBe(false);
    const released = releaseProbe(half);
    expect(released).toMatchObject({ status: "half_open", probes: 0 });
    expect(canRequest(released, 1_002, one).allowed).toBe(true);
    expect(releaseProbe(CLOSED_BREAKER)).toBe(CLOSED_BREAKER);
  });

  it("a probe that never reports back expires after another cooldown", () => {
    const one = { ...config, half_open_max_probes: 1 };
    const half = canRequest(failTimes(3, 0, one), 1_000, one).state;
    expect(canRequest(half, 1_999, one).allowed).toBe(false);
    const retaken = canRequest(half, 2_000, one);
    expect(retaken.allowed).toBe(true);
    expect(retaken.state).toMatchObject({ status: "half_open", probes: 1, half_opened_at: 2_000 });
  });
});

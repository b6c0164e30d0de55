import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_EVERY, ACK_IDLE_MS, AckPacer } from "../../../client/ack-pacer";

/** A seeded generator (mulberry32), so the spread below is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pacer on the fake clock that records the event index of every ack it sends. */
function recorder(random: () => number) {
  const acks: number[] = [];
  let taken = 0;
  const pacer = new AckPacer(
    () => acks.push(taken),
    random,
    () => Date.now(),
  );
  return {
    acks,
    take(n = 1) {
      for (let i = 0; i < n; i++) {
        taken += 1;
        pacer.taken();
      }
    },
    pacer,
  };
}

describe("AckPacer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("acks a steady stream by count only, within 50–150 % of the nominal pace and about it on average", () => {
    const r = recorder(seeded(1));
    // One event a millisecond: never idle, so the timer never acks.
    for (let i = 0; i < 20_000; i++) {
      r.take();
      vi.advanceTimersByTime(1);
    }
    const gaps = r.acks.map((p, i) => p - (r.acks[i - 1] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(ACK_EVERY / 2);
    expect(Math.max(...gaps)).toBeLessThanOrEqual((ACK_EVERY * 3) / 2);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(Math.abs(mean - ACK_EVERY)).toBeLessThan(ACK_EVERY * 0.05);
    r.pacer.stop();
  });

  it("acks what is left once the stream has been idle for 50–150 % of the idle delay, and not before", () => {
    const r = recorder(() => 0.5); // no jitter: exactly ACK_IDLE_MS
    r.take(5);
    vi.advanceTimersByTime(ACK_IDLE_MS - 1);
    r.take(); // the stream is still alive: the idle clock starts again
    vi.advanceTimersByTime(ACK_IDLE_MS - 1);
    expect(r.acks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(r.acks).toEqual([6]);
    // Nothing unacked: no further ack however long it stays idle.
    vi.advanceTimersByTime(10 * ACK_IDLE_MS);
    expect(r.acks).toEqual([6]);
    const jittered = recorder(() => 0.999);
    jittered.take();
    vi.advanceTimersByTime(ACK_IDLE_MS * 1.49);
    expect(jittered.acks).toEqual([]);
    vi.advanceTimersByTime(ACK_IDLE_MS * 0.02);
    expect(jittered.acks).toEqual([1]);
  });

  it("spreads the acks of a thousand readers of the same stream instead of firing them together", () => {
    const random = seeded(42);
    const readers = Array.from({ length: 1_000 }, () => recorder(random));
    for (let event = 0; event < 640; event++) {
      for (const r of readers) r.take();
      vi.advanceTimersByTime(1);
    }
    const perEvent = new Map<number, number>();
    for (const r of readers) for (const point of r.acks) perEvent.set(point, (perEvent.get(point) ?? 0) + 1);
    const total = [...perEvent.values()].reduce((a, b) => a + b, 0);
    // About ten acks per reader over 640 events, as a fixed 64 would give …
    expect(total / 1_000).toBeGreaterThan(9);
    expect(total / 1_000).toBeLessThan(11.5);
    // … but no event draws more than a small share of the readers' acks (a fixed threshold: all 1,000 at once).
    expect(Math.max(...perEvent.values())).toBeLessThan(100);
    for (const r of readers) r.pacer.stop();
  });

  it("stop drops a pending idle ack", () => {
    const r = recorder(() => 0.5);
    r.take(3);
    r.pacer.stop();
    vi.advanceTimersByTime(10 * ACK_IDLE_MS);
    expect(r.acks).toEqual([]);
  });
});

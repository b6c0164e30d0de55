import { describe, expect, it } from "vitest";
import { ACK_EVERY, ACK_MAX_DELAY_MS, AckPacer } from "../../../client/ack-pacer";

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

/** Feeds `events` events to a pacer, acking whenever it says so; returns the event indexes that were acked. */
function ackPoints(pacer: AckPacer, events: number): number[] {
  const points: number[] = [];
  for (let i = 1; i <= events; i++) {
    if (pacer.taken()) {
      points.push(i);
      pacer.acked();
    }
  }
  return points;
}

describe("AckPacer", () => {
  it("acks within 50–150 % of the nominal pace, and each delay within 50–150 % of the nominal delay", () => {
    const pacer = new AckPacer(seeded(1));
    const points = ackPoints(pacer, 20_000);
    const gaps = points.map((p, i) => p - (points[i - 1] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(ACK_EVERY / 2);
    expect(Math.max(...gaps)).toBeLessThanOrEqual((ACK_EVERY * 3) / 2);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(Math.abs(mean - ACK_EVERY)).toBeLessThan(ACK_EVERY * 0.05);
    for (let i = 0; i < 100; i++) {
      const delay = pacer.nextDelayMs();
      expect(delay).toBeGreaterThanOrEqual(ACK_MAX_DELAY_MS / 2);
      expect(delay).toBeLessThanOrEqual((ACK_MAX_DELAY_MS * 3) / 2);
    }
  });

  it("spreads the acks of a thousand readers of the same stream instead of firing them together", () => {
    const random = seeded(42);
    const perEvent = new Map<number, number>();
    for (let reader = 0; reader < 1_000; reader++) {
      for (const point of ackPoints(new AckPacer(random), 640)) perEvent.set(point, (perEvent.get(point) ?? 0) + 1);
    }
    const total = [...perEvent.values()].reduce((a, b) => a + b, 0);
    // About ten acks per reader over 640 events, as a fixed 64 would give …
    expect(total / 1_000).toBeGreaterThan(9);
    expect(total / 1_000).toBeLessThan(11.5);
    // … but no event draws more than a small share of the readers' acks (a fixed threshold: all 1,000 at once).
    expect(Math.max(...perEvent.values())).toBeLessThan(100);
  });

  it("has nothing pending until an event is taken, and nothing after the ack", () => {
    const pacer = new AckPacer(() => 0.5);
    expect(pacer.pending).toBe(false);
    expect(pacer.taken()).toBe(false);
    expect(pacer.pending).toBe(true);
    pacer.acked();
    expect(pacer.pending).toBe(false);
  });
});

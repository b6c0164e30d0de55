import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_EVERY, ACK_EVERY_MAX, ACK_IDLE_MS, AckPacer } from "../../../client/ack-pacer";

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

/** A pacer on the fake clock that records the event index of every ack it sends, and the pace each ack left. */
function recorder(random: () => number) {
  const acks: number[] = [];
  const paces: number[] = [];
  let taken = 0;
  const pacer: AckPacer = new AckPacer(
    () => {
      acks.push(taken);
      paces.push(pacer.pace);
    },
    random,
    () => Date.now(),
  );
  return {
    acks,
    paces,
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

  it("acks a steady stream by count only, doubling the pace up to its cap, each gap within 50–150 % of the pace", () => {
    const r = recorder(seeded(1));
    // One event a millisecond: never idle, so the timer never acks.
    for (let i = 0; i < 100_000; i++) {
      r.take();
      vi.advanceTimersByTime(1);
    }
    expect(r.paces.slice(0, 5)).toEqual([128, 256, 512, 1024, 1024]);
    const gaps = r.acks.map((p, i) => p - (r.acks[i - 1] ?? 0));
    gaps.forEach((gap, i) => {
      const pace = i === 0 ? ACK_EVERY : r.paces[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(pace / 2);
      expect(gap).toBeLessThanOrEqual((pace * 3) / 2);
    });
    const atCap = gaps.slice(4);
    const mean = atCap.reduce((a, b) => a + b, 0) / atCap.length;
    expect(Math.abs(mean - ACK_EVERY_MAX)).toBeLessThan(ACK_EVERY_MAX * 0.05);
    r.pacer.stop();
  });

  it("halves the pace at every idle ack, down to where a stream starts: a window smaller than the count stays usable", () => {
    const r = recorder(() => 0.5); // no jitter
    r.take(ACK_EVERY + 2 * ACK_EVERY + 4 * ACK_EVERY); // three acks by count: the pace is 512
    expect(r.paces).toEqual([128, 256, 512]);
    // A server holding the stream at a window of 100: it goes quiet with events unacked, every time.
    for (let stall = 0; stall < 3; stall++) {
      r.take(100);
      vi.advanceTimersByTime(ACK_IDLE_MS);
    }
    expect(r.paces.slice(3)).toEqual([256, 128, 64]);
    // At the floor, 100 events cross the count again (an ack by count before the window), the rest goes at idle.
    r.take(100);
    vi.advanceTimersByTime(ACK_IDLE_MS);
    expect(r.paces.slice(6)).toEqual([128, 64]);
    expect(r.acks.slice(6)).toEqual([r.acks[5]! + ACK_EVERY, r.acks[5]! + 100]);
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
    // Three or four acks per reader over 640 events (about 64, 192, 448: the pace doubles) …
    expect(total / 1_000).toBeGreaterThan(2.5);
    expect(total / 1_000).toBeLessThan(4.5);
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

import { describe, expect, it } from "vitest";
import type { Event } from "../../../src/core/event";
import type { EventType } from "../../../src/core/event-types";
import { Waiters } from "../../../src/session/waiters";

/** Long deadlines: a waiter that should stay parked never times out during the test, however slow the machine. */
const LONG = 600_000;

function event(sequence: number, type: EventType = "message_sent", run_id: string | null = null): Event {
  return {
    id: `evt_${sequence}`,
    session_id: "ses_x",
    run_id,
    sequence,
    type,
    timestamp: "2026-01-01T00:00:00.000Z",
    provider: null,
    correlation_id: null,
    schema_version: 1,
    origin: "client",
    data: {},
    metadata: {},
  };
}

/** Whether the promise has settled by the time queued microtasks ran, and with what. */
async function settled<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  const marker = Symbol("pending");
  const v = await Promise.race([p, Promise.resolve(marker)]);
  return v === marker ? { done: false } : { done: true, value: v as T };
}

describe("Waiters", () => {
  it("wakes a waiter with true when an event after its cursor arrives, and forgets it", async () => {
    const w = new Waiters();
    const p = w.wait(2, undefined, {}, LONG);
    expect(w.size).toBe(1);
    w.notify([event(2)]);
    expect(await settled(p)).toEqual({ done: false });
    w.notify([event(3)]);
    expect(await p).toBe(true);
    expect(w.size).toBe(0);
  });

  it("respects the window's upper bound and the run and type filters", async () => {
    const w = new Waiters();
    const bounded = w.wait(0, 5, {}, LONG);
    const byRun = w.wait(0, undefined, { run_id: "run_a" }, LONG);
    const byType = w.wait(0, undefined, { types: ["run_completed"] }, LONG);
    w.notify([event(5), event(6, "message_sent", "run_b")]);
    expect(await settled(bounded)).toEqual({ done: false });
    expect(await settled(byRun)).toEqual({ done: false });
    expect(await settled(byType)).toEqual({ done: false });
    w.notify([event(4, "run_completed", "run_a")]);
    expect(await Promise.all([bounded, byRun, byType])).toEqual([true, true, true]);
    expect(w.size).toBe(0);
  });

  it("resolves false at the deadline and leaves the others parked", async () => {
    const w = new Waiters();
    const parked = w.wait(0, undefined, {}, LONG);
    expect(await w.wait(0, undefined, {}, 0)).toBe(false);
    expect(w.size).toBe(1);
    w.notify([event(1)]);
    expect(await parked).toBe(true);
  });
});

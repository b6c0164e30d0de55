import { describe, expect, it } from "vitest";
import { Delivery } from "../../../src/session/delivery";
import { nextTurn } from "../../../src/session/next-turn";
import type { Pumped, Subscriber, Subscribers } from "../../../src/session/subscribers";
import type { Waiters } from "../../../src/session/waiters";

/** Subscribers that each take one frame per pass, recording the order they were pumped in. */
function fakeSubscribers(n: number) {
  const all = Array.from({ length: n }, (_, i) => ({ id: i }));
  const pumped: number[] = [];
  const subscribers = {
    size: n,
    all: () => all as unknown as Subscriber[],
    pump: (sub: Subscriber): Pumped => {
      pumped.push((sub as unknown as { id: number }).id);
      return { sent: 1, more: false };
    },
  };
  return { subscribers: subscribers as unknown as Subscribers, pumped };
}

const waiters = { notify: () => undefined } as unknown as Waiters;

describe("a delivery pass leaves in slices", () => {
  it("a pass over 1,000 sockets yields to the event loop after every 125 frames, so the first sockets' frames can leave before the last socket is reached", async () => {
    // A pass in one piece (slices of 2,000 frames) held all 1,000 frames through a GC pause inside it.
    const n = 1_000;
    const { subscribers, pumped } = fakeSubscribers(n);
    const work: Promise<void>[] = [];
    const delivery = new Delivery(subscribers, waiters, (w) => work.push(w));
    delivery.afterAppend([{ sequence: 1 } as never]);
    expect(pumped).toHaveLength(0); // after the answer, never inside the append
    // Each timer turn lets exactly one more slice through (the pass waits a turn between slices).
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      await nextTurn();
      seen.push(pumped.length);
    }
    await Promise.all(work);
    expect(seen).toEqual([125, 250, 375, 500]);
    // Every subscriber once, in order.
    expect(pumped).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

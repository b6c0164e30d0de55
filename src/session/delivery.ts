import type { Event } from "../core/event";
import { nextTurn } from "./next-turn";
import type { Pumped, Subscriber, Subscribers } from "./subscribers";
import type { Waiters } from "./waiters";

/**
 * Frames sent before a pass yields to the event loop. A pass over hundreds of sockets is then cut into slices: an
 * append (or an ack) that arrives meanwhile is answered between two slices instead of after all of them, and the
 * frames of a slice leave for the network when it yields (workerd writes sends out only once JavaScript returns).
 * That second part decides the slowest rounds at 1,000 subscribers: the sends' own allocations start V8's major GC
 * inside a pass (40–75 ms, profiled), and a pass in one piece held every socket's frame for all of it; in slices of
 * this size, the sockets of the slices before the pause already have theirs.
 */
const FRAMES_PER_SLICE = 125;

/**
 * A pass this small (subscribers × new events) costs less than a timer turn, so it starts in a microtask: still
 * after the append has returned its answer, but without waiting for the event loop to come round (past
 * `FRAMES_PER_SLICE` it still yields once between slices). Anything bigger waits for the next turn, so the answer
 * never carries the cost of the readers.
 */
const SMALL_PASS_FRAMES = 256;

/**
 * Delivery after the answer: an append only records what it added and asks for a pass; the pass runs once the
 * append has returned, wakes long-polls, and pumps every subscriber from its own cursor. Appends that land
 * while a pass runs are picked up by the sockets it has not reached yet and by one more pass for the rest, so
 * appenders never wait for readers and readers never miss an event.
 */
export class Delivery {
  private fresh: Event[] = [];
  private scheduled = false;
  private running = false;
  private again = false;

  constructor(
    private readonly subscribers: Subscribers,
    private readonly waiters: Waiters,
    /** Tells the runtime a pass is under way (ctx.waitUntil), so the object is not put away mid-delivery. */
    private readonly keepAlive: (work: Promise<void>) => void,
  ) {}

  /** Called once new events are durable; returns at once. */
  afterAppend(fresh: readonly Event[]): void {
    this.fresh.push(...fresh);
    this.schedule(this.fresh.length * this.subscribers.size <= SMALL_PASS_FRAMES);
  }

  /** Asks for a pass after the current turn, or right after the current task when `small` (or one more, if a pass is running). */
  schedule(small = false): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    const start = small ? Promise.resolve() : nextTurn();
    this.keepAlive(
      start.then(() => {
        this.scheduled = false;
        return this.run();
      }),
    );
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        const fresh = this.fresh.splice(0);
        if (fresh.length > 0) this.waiters.notify(fresh);
        let sent = 0;
        for (const sub of this.subscribers.all()) {
          const pumped = this.pumpOne(sub);
          if (pumped.more) this.again = true;
          sent += pumped.sent;
          if (sent >= FRAMES_PER_SLICE) {
            sent = 0;
            await nextTurn();
          }
        }
        // A subscriber with more than a page waiting (a replay) gets its next page after others had a turn.
        if (this.again) await nextTurn();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  /** One subscriber's failure (say, an event it cannot read) must not stop the pass for everyone else. */
  private pumpOne(sub: Subscriber): Pumped {
    try {
      return this.subscribers.pump(sub);
    } catch (err) {
      console.error("delivery to a subscriber failed", err);
      return { sent: 0, more: false };
    }
  }
}

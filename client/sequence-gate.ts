import type { Event } from "../src/core/event";

/**
 * Tracks the next sequence a follower expects, so a stream yields each sequence once and in order.
 * Without filters the log is gap-free, so a sequence beyond `next` means events were missed in transit;
 * with a run or type filter, jumps are normal (the events in between did not match).
 */
export class SequenceGate {
  constructor(
    public next: number,
    readonly filtered: boolean,
  ) {}

  /** `yield` to pass the event on, `duplicate` to drop it, `gap` when the missing range must be read first. */
  classify(e: Event): "yield" | "duplicate" | "gap" {
    if (e.sequence < this.next) return "duplicate";
    if (e.sequence > this.next && !this.filtered) return "gap";
    return "yield";
  }

  /** Records a yielded event. */
  pass(e: Event): void {
    this.next = e.sequence + 1;
  }

  /** The server confirmed nothing exists below `sequence` that we have not seen (pruned by retention). */
  skipTo(sequence: number): void {
    if (sequence > this.next) this.next = sequence;
  }
}

import type { Event } from "../core/event";

/** One event at the head of the log and its wire form, serialised at most once for every subscriber. */
export type Frame = { event: Event; json: string };

/**
 * The newest events of the log, in memory, with their JSON frames: a subscriber at the head reads from here
 * instead of running its own SQL read and JSON.stringify per event. The entries are always a gap-free run of
 * sequences ending at the log's last one; anything older (or after a restart, when this is empty) is read
 * from storage by the subscriber's own cursor.
 */
export class RecentFrames {
  private frames: { event: Event; json: string | null }[] = [];

  constructor(private readonly capacity: number) {}

  /** Sequence of the oldest event held, or null when empty. */
  get first(): number | null {
    return this.frames[0]?.event.sequence ?? null;
  }

  /** Adds freshly appended events (ascending). A gap since the last held event starts the run over. */
  add(fresh: readonly Event[]): void {
    for (const event of fresh) {
      const last = this.frames[this.frames.length - 1];
      if (last && event.sequence !== last.event.sequence + 1) this.frames = [];
      this.frames.push({ event, json: null });
    }
    const excess = this.frames.length - this.capacity;
    if (excess > 0) this.frames.splice(0, excess);
  }

  /** True when every sequence from `from` to the newest held one is here. */
  covers(from: number): boolean {
    const first = this.first;
    return first !== null && from >= first;
  }

  /** Frames with `from <= sequence <= to`; the caller checked `covers(from)`. */
  range(from: number, to: number): Frame[] {
    const first = this.first;
    if (first === null || to < from) return [];
    const start = Math.max(0, from - first);
    const end = Math.min(this.frames.length, to - first + 1);
    const out: Frame[] = [];
    for (let i = start; i < end; i++) {
      const f = this.frames[i]!;
      f.json ??= JSON.stringify(f.event);
      out.push(f as Frame);
    }
    return out;
  }

  /** Up to `limit` events from `from` on, without serialising them (the flusher's copy to D1); `covers(from)` holds. */
  events(from: number, limit: number): Event[] {
    const first = this.first;
    if (first === null) return [];
    const start = Math.max(0, from - first);
    return this.frames.slice(start, start + limit).map((f) => f.event);
  }

  /** Forgets everything (retention pruned the log, or the session was wiped). */
  clear(): void {
    this.frames = [];
  }
}

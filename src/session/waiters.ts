import type { Event } from "../core/event";
import { matchesFilter, type LogFilter } from "./log";

type Waiter = { after: number; before: number | undefined; filter: LogFilter; resolve: () => void; timer: ReturnType<typeof setTimeout> };

/** Long-poll requests parked until a matching event is appended or their deadline passes. */
export class Waiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves `true` when a matching event arrives, `false` at the deadline. */
  wait(after: number, before: number | undefined, filter: LogFilter, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        before,
        filter,
        resolve: () => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(true);
        },
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, ms),
      };
      this.waiters.add(waiter);
    });
  }

  get size(): number {
    return this.waiters.size;
  }

  notify(fresh: readonly Event[]): void {
    for (const w of [...this.waiters]) {
      const hit = fresh.some(
        (e) => e.sequence > w.after && (w.before === undefined || e.sequence < w.before) && matchesFilter(e, w.filter),
      );
      if (hit) w.resolve();
    }
  }
}

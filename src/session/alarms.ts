import type { KeyValue } from "./kv";

/**
 * A DO has one alarm; several parts need timers that survive eviction (flush retries, run deadlines,
 * approval expiry). This keeps named deadlines in storage and points the one alarm at the earliest.
 */
export class Alarms {
  private deadlines: Record<string, number>;
  private armedAt: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly kv: KeyValue,
  ) {
    this.deadlines = kv.get<Record<string, number>>("alarm_deadlines") ?? {};
  }

  /** Sets `name` to fire at `at`; with `keepEarlier`, an earlier existing deadline for it wins. */
  async set(name: string, at: number, keepEarlier = false): Promise<void> {
    const current = this.deadlines[name];
    if (keepEarlier && current !== undefined && current <= at) return;
    this.deadlines[name] = at;
    this.kv.put("alarm_deadlines", this.deadlines);
    await this.arm();
  }

  async clear(name: string): Promise<void> {
    if (!(name in this.deadlines)) return;
    delete this.deadlines[name];
    this.kv.put("alarm_deadlines", this.deadlines);
  }

  has(name: string): boolean {
    return name in this.deadlines;
  }

  /** Removes and returns the names whose deadline has passed. */
  takeDue(now = Date.now()): string[] {
    const due = Object.entries(this.deadlines)
      .filter(([, at]) => at <= now)
      .map(([name]) => name);
    for (const name of due) delete this.deadlines[name];
    if (due.length) this.kv.put("alarm_deadlines", this.deadlines);
    return due;
  }

  /** After the alarm ran: point it at the next deadline, if any. */
  async rearm(): Promise<void> {
    this.armedAt = null;
    await this.arm();
  }

  private async arm(): Promise<void> {
    const times = Object.values(this.deadlines);
    if (times.length === 0) return;
    const next = Math.min(...times);
    if (this.armedAt === undefined) this.armedAt = await this.storage.getAlarm();
    if (this.armedAt !== null && this.armedAt <= next) return;
    this.armedAt = next;
    await this.storage.setAlarm(next);
  }

  reset(): void {
    this.deadlines = {};
    this.armedAt = undefined;
  }
}

/** Nominal pace of a reader's acks: one per this many events handed to the caller… */
export const ACK_EVERY = 64;
/** …or, for what is left unacked, once no event has come for this long. */
export const ACK_IDLE_MS = 250;

/**
 * Decides when a WebSocket reader acks (flow-control credit): after about `ACK_EVERY` events, or once the stream has
 * been idle for about `ACK_IDLE_MS` with events still unacked (a server window smaller than the count, or the tail of
 * a burst). A steady stream is acked by count only: every ack is a message the session's object must wake for (and
 * Cloudflare bills incoming WebSocket messages), so a timer running beside a busy stream would only add acks.
 *
 * Readers of one session get each frame within the same moment, so fixed thresholds make all of them ack in the
 * same instant: with 1,000 readers, 1,000 acks queue at the session ahead of the next append every 64 events, which
 * were the slowest rounds of the fan-out benchmark. Each reader therefore draws every threshold and idle delay from
 * 50–150 % of its nominal value: the same pace on average, spread out.
 */
export class AckPacer {
  private unacked = 0;
  private threshold: number;
  private idleMs: number;
  private lastEventAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Sends the ack for everything taken so far. */
    private readonly send: () => void,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {
    this.threshold = this.draw(ACK_EVERY);
    this.idleMs = this.draw(ACK_IDLE_MS);
  }

  /** One event was handed to the caller. */
  taken(): void {
    this.unacked += 1;
    this.lastEventAt = this.now();
    if (this.unacked >= this.threshold) return this.ackNow();
    this.timer ??= setTimeout(() => this.onTimer(), this.idleMs);
  }

  /** Acks what was taken, if anything, and starts counting towards the next ack. */
  ackNow(): void {
    this.stop();
    if (this.unacked === 0) return;
    this.unacked = 0;
    this.threshold = this.draw(ACK_EVERY);
    this.idleMs = this.draw(ACK_IDLE_MS);
    this.send();
  }

  /** Drops the timer (the connection ended). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Acks once the stream has been idle long enough; while events keep coming, looks again when it could be. */
  private onTimer(): void {
    this.timer = undefined;
    const idle = this.now() - this.lastEventAt;
    if (idle >= this.idleMs) this.ackNow();
    else this.timer = setTimeout(() => this.onTimer(), this.idleMs - idle);
  }

  private draw(nominal: number): number {
    return Math.max(1, Math.round(nominal * (0.5 + this.random())));
  }
}

/** Nominal pace of a reader's acks at the start of a stream: one per this many events handed to the caller… */
export const ACK_EVERY = 64;
/** …doubling after every ack by count up to this many (a stream the server's window never held up)… */
export const ACK_EVERY_MAX = 1_024;
/** …and, for what is left unacked, once no event has come for this long (which halves the pace again). */
export const ACK_IDLE_MS = 250;

/**
 * Decides when a WebSocket reader acks (flow-control credit): after about `every` events, or once the stream has
 * been idle for about `ACK_IDLE_MS` with events still unacked (a server window smaller than the count, or the tail of
 * a burst). A steady stream is acked by count only: every ack is a message the session's object must wake for (and
 * Cloudflare bills incoming WebSocket messages), so a timer running beside a busy stream would only add acks.
 *
 * The reader does not know the server's window (5,000 by default), so the pace adapts like a congestion window:
 * every ack by count doubles `every` (up to `ACK_EVERY_MAX`), and every idle ack halves it (down to `ACK_EVERY`),
 * because a stream that went quiet with events unacked may have been held at the window. At a fixed 64, the 300
 * readers of a session receiving 50-event appends sent about 230 acks after every append, queued at the session
 * ahead of the next one.
 *
 * Readers of one session get each frame within the same moment, so fixed thresholds make all of them ack in the
 * same instant: with 1,000 readers, 1,000 acks queue at the session ahead of the next append. Each reader therefore
 * draws every threshold and idle delay from 50–150 % of its nominal value: the same pace on average, spread out.
 */
export class AckPacer {
  private unacked = 0;
  private every = ACK_EVERY;
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
    this.threshold = this.draw(this.every);
    this.idleMs = this.draw(ACK_IDLE_MS);
  }

  /** The nominal count between acks now (between `ACK_EVERY` and `ACK_EVERY_MAX`). */
  get pace(): number {
    return this.every;
  }

  /** One event was handed to the caller. */
  taken(): void {
    this.unacked += 1;
    this.lastEventAt = this.now();
    if (this.unacked >= this.threshold) return this.ack(Math.min(ACK_EVERY_MAX, this.every * 2));
    this.timer ??= setTimeout(() => this.onTimer(), this.idleMs);
  }

  /** Acks what was taken, if anything, without changing the pace. */
  ackNow(): void {
    this.ack(this.every);
  }

  /** Drops the timer (the connection ended). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Acks what was taken, if anything, and starts counting towards the next ack at the pace `every`. */
  private ack(every: number): void {
    this.stop();
    if (this.unacked === 0) return;
    this.unacked = 0;
    this.every = every;
    this.threshold = this.draw(every);
    this.idleMs = this.draw(ACK_IDLE_MS);
    this.send();
  }

  /** Acks once the stream has been idle long enough; while events keep coming, looks again when it could be. */
  private onTimer(): void {
    this.timer = undefined;
    const idle = this.now() - this.lastEventAt;
    if (idle >= this.idleMs) this.ack(Math.max(ACK_EVERY, this.every / 2));
    else this.timer = setTimeout(() => this.onTimer(), this.idleMs - idle);
  }

  private draw(nominal: number): number {
    return Math.max(1, Math.round(nominal * (0.5 + this.random())));
  }
}

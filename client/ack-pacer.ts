/** Nominal pace of a reader's acks: one per this many events handed to the caller… */
export const ACK_EVERY = 64;
/** …and at the latest this long after the first event it has not acked yet. */
export const ACK_MAX_DELAY_MS = 1_000;

/**
 * Decides when a WebSocket reader acks (flow-control credit; the server's window is thousands of events, so this
 * pace never holds a reader back). Readers of one session get each frame within the same moment, so fixed
 * thresholds make all of them ack in the same instant: with 1,000 readers, 1,000 acks queue at the session ahead of
 * the next append every 64 events, which were the slowest rounds of the fan-out benchmark. Each reader therefore
 * draws every threshold and delay from 50–150 % of the nominal value: the same pace on average, spread out.
 */
export class AckPacer {
  private unacked = 0;
  private threshold: number;

  constructor(private readonly random: () => number = Math.random) {
    this.threshold = this.draw(ACK_EVERY);
  }

  /** Counts one event handed to the caller; true when it is time to ack. */
  taken(): boolean {
    this.unacked += 1;
    return this.unacked >= this.threshold;
  }

  /** Whether any event is waiting for an ack. */
  get pending(): boolean {
    return this.unacked > 0;
  }

  /** How long to wait, from the first unacked event, before acking anyway. */
  nextDelayMs(): number {
    return this.draw(ACK_MAX_DELAY_MS);
  }

  /** The ack went out: start counting towards the next one. */
  acked(): void {
    this.unacked = 0;
    this.threshold = this.draw(ACK_EVERY);
  }

  private draw(nominal: number): number {
    return Math.max(1, Math.round(nominal * (0.5 + this.random())));
  }
}

import type { Event } from "../core/event";
import type { SubscriberCursor } from "./subscribers";

/** An open Server-Sent Events stream held by this DO instance. */
export class SseSubscriber {
  closed = false;
  private backedUpSince: number | null = null;
  private readonly encoder = new TextEncoder();

  constructor(
    readonly cursor: SubscriberCursor,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    /**
     * A client that leaves more than `maxQueued` frames unread for longer than `stallMs` is dropped: it stopped
     * reading or silently went away. (A burst alone never drops anyone: the queue must stay high.)
     */
    private readonly stall: { maxQueued: number; stallMs: number },
  ) {
    // The reader cancelling (client gone) errors the stream; stop writing to it from then on.
    writer.closed.catch(() => {
      this.closed = true;
    });
  }

  /** Sends one event; `json` is its frame, serialised once for every subscriber. */
  sendEvent(e: Event, json = JSON.stringify(e)): void {
    this.write(`id: ${e.sequence}\nevent: ${e.type}\ndata: ${json}\n\n`);
  }

  heartbeat(): void {
    this.write(`: heartbeat ${Date.now()}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close().catch(() => undefined);
  }

  private write(text: string): void {
    if (this.closed) return;
    const desired = this.writer.desiredSize;
    if (desired !== null && -desired > this.stall.maxQueued) {
      this.backedUpSince ??= Date.now();
      if (Date.now() - this.backedUpSince > this.stall.stallMs) {
        // Back-pressure: end its stream; the client can resume exactly with Last-Event-ID.
        this.closed = true;
        this.writer.abort(new Error("slow consumer")).catch(() => undefined);
        return;
      }
    } else {
      this.backedUpSince = null;
    }
    this.writer.write(this.encoder.encode(text)).catch(() => {
      this.closed = true;
    });
  }
}

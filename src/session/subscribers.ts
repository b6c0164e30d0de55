import type { Event } from "../core/event";
import type { EventLog, LogFilter } from "./log";

/** What a live subscriber needs: the next sequence it has not seen, its filter, and a way to send. */
export type SubscriberCursor = { next: number; run_id?: string | undefined; types?: string[] | undefined };

/** WebSocket close code for a subscriber dropped because it stopped reading (back-pressure). */
export const CLOSE_SLOW_CONSUMER = 4008;

/**
 * Delivers the log to live subscribers (hibernatable WebSockets and in-memory SSE streams).
 * Every delivery reads from the subscriber's own cursor, so replay and live share one path: the seam between
 * them cannot duplicate or skip, and a reconnect from `last_seen + 1` resumes exactly.
 */
export class Subscribers {
  private readonly sse = new Set<SseSubscriber>();
  private pumpScheduled = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly log: EventLog,
    private readonly pageSize: number,
  ) {}

  acceptWebSocket(ws: WebSocket, cursor: SubscriberCursor): void {
    this.ctx.acceptWebSocket(ws);
    ws.serializeAttachment(cursor);
    this.pumpSocket(ws);
  }

  /** Opens an SSE stream from the cursor; one shared timer sends comment heartbeats while any is open. */
  openSse(cursor: SubscriberCursor, heartbeatMs: number, stall: { maxQueued: number; stallMs: number }): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub = new SseSubscriber(cursor, writable.getWriter(), stall);
    sub.heartbeat();
    this.sse.add(sub);
    this.pumpSse(sub);
    this.heartbeat ??= setInterval(() => {
      if (this.heartbeatSse() === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    }, heartbeatMs);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" },
    });
  }

  removeSse(sub: SseSubscriber): void {
    this.sse.delete(sub);
  }

  /** Writes an SSE comment to every open stream, dropping closed ones; returns how many remain. */
  heartbeatSse(): number {
    for (const sub of this.sse) {
      if (sub.closed) this.sse.delete(sub);
      else sub.heartbeat();
    }
    return this.sse.size;
  }

  get counts(): { websockets: number; sse: number } {
    return { websockets: this.ctx.getWebSockets().length, sse: this.sse.size };
  }

  /** Called after every append. */
  deliver(): void {
    for (const ws of this.ctx.getWebSockets()) this.pumpSocket(ws);
    for (const sub of this.sse) this.pumpSse(sub);
  }

  /** Sends the next page to one socket; returns whether more remain. */
  private pumpSocket(ws: WebSocket): boolean {
    const cursor = ws.deserializeAttachment() as SubscriberCursor | null;
    if (!cursor || ws.readyState !== WebSocket.OPEN) return false;
    const { events, next, more } = this.page(cursor);
    if (next === cursor.next) return false;
    try {
      for (const e of events) ws.send(JSON.stringify(e));
    } catch {
      return false;
    }
    ws.serializeAttachment({ ...cursor, next });
    if (more) this.scheduleDrain();
    return more;
  }

  private pumpSse(sub: SseSubscriber): void {
    if (sub.closed) {
      this.sse.delete(sub);
      return;
    }
    const { events, next, more } = this.page(sub.cursor);
    if (next === sub.cursor.next) return;
    sub.cursor.next = next;
    for (const e of events) sub.sendEvent(e);
    if (more) this.scheduleDrain();
  }

  /** Reads one page after the cursor; `next` moves past everything scanned, matched or not. */
  private page(cursor: SubscriberCursor): { events: Event[]; next: number; more: boolean } {
    const last = this.log.lastSequence;
    if (cursor.next > last) return { events: [], next: cursor.next, more: false };
    const filter: LogFilter = { run_id: cursor.run_id, types: cursor.types };
    const upTo = Math.min(last, cursor.next + this.pageSize - 1);
    const events = this.log.read({ after: cursor.next - 1, before: upTo + 1, run_id: filter.run_id, types: filter.types, limit: this.pageSize });
    return { events, next: upTo + 1, more: upTo < last };
  }

  /** Large replays go out a page at a time so one subscriber cannot monopolise the object. */
  private scheduleDrain(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setTimeout(() => {
      this.pumpScheduled = false;
      this.deliver();
    }, 0);
  }
}

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

  sendEvent(e: Event): void {
    this.write(`id: ${e.sequence}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
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

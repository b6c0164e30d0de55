import type { Event } from "../core/event";
import type { EventLog, LogFilter } from "./log";

/** What a live subscriber needs: the next sequence it has not seen, its filter, and a way to send. */
export type SubscriberCursor = { next: number; run_id?: string | undefined; types?: string[] | undefined };

/**
 * A socket's flow-control state, kept in its hibernation attachment. workerd exposes no send-buffer size, so the
 * client acknowledges what it has processed (`{"type":"ack","sequence":N}`) and we never send more than `window`
 * sequences past its last ack: a reader that stops acking stops receiving (the events stay in the log).
 */
export type SocketCursor = SubscriberCursor & {
  /** Highest sequence the client acknowledged (starts at `from - 1`). */
  acked: number;
  /** Sequence of the last frame sent (starts at `from - 1`). */
  last_sent: number;
  /** When the window filled and sending stopped; null while flowing. */
  paused_since: number | null;
};

/** How far a WebSocket may run ahead of its acks, and how long it may stay full before it is dropped. */
export type FlowLimits = { window: number; stallMs: number };

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
  private stallCheck: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly log: EventLog,
    private readonly pageSize: number,
    private readonly flow: FlowLimits,
  ) {}

  acceptWebSocket(ws: WebSocket, cursor: SubscriberCursor): void {
    this.ctx.acceptWebSocket(ws);
    const state: SocketCursor = { ...cursor, acked: cursor.next - 1, last_sent: cursor.next - 1, paused_since: null };
    ws.serializeAttachment(state);
    this.pumpSocket(ws);
  }

  /** Records a client's ack (acks never move backwards) and resumes sending if that reopened its window. */
  acknowledge(ws: WebSocket, sequence: number): void {
    const cursor = readCursor(ws);
    if (!cursor || sequence <= cursor.acked) return;
    // An ack past the last frame sent is clamped: it cannot open credit for events the client has not been sent.
    ws.serializeAttachment({ ...cursor, acked: Math.min(sequence, cursor.last_sent), paused_since: null });
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

  /** Sends what the socket's window allows, a page at a time; pauses (and later drops) a socket that stopped acking. */
  private pumpSocket(ws: WebSocket): void {
    const cursor = readCursor(ws);
    if (!cursor || ws.readyState !== WebSocket.OPEN) return;
    if (cursor.next > this.log.lastSequence) return;
    // Never send a sequence beyond acked + window. A client that acked every frame sent is caught up with all we
    // scanned (the rest was filtered out), so a sparse filter never runs out of credit.
    const acked = cursor.last_sent <= cursor.acked ? cursor.next - 1 : cursor.acked;
    const credit = acked + this.flow.window - (cursor.next - 1);
    if (credit <= 0) return this.pause(ws, cursor);
    const { events, next, more } = this.page(cursor, credit);
    if (next === cursor.next) return;
    try {
      for (const e of events) ws.send(JSON.stringify(e));
    } catch {
      return;
    }
    const lastSent = events.length ? events[events.length - 1]!.sequence : cursor.last_sent;
    ws.serializeAttachment({ ...cursor, next, last_sent: lastSent, paused_since: null });
    if (more) this.scheduleDrain();
  }

  /** A full window is fine for a moment (a burst); full for longer than `stallMs`, the reader is gone or stuck. */
  private pause(ws: WebSocket, cursor: SocketCursor): void {
    const now = Date.now();
    if (cursor.paused_since === null) {
      ws.serializeAttachment({ ...cursor, paused_since: now });
      this.scheduleStallCheck();
    } else if (now - cursor.paused_since >= this.flow.stallMs) {
      // It can resume exactly by reconnecting from its last sequence + 1.
      ws.close(CLOSE_SLOW_CONSUMER, "slow consumer");
    } else {
      this.scheduleStallCheck();
    }
  }

  /** Re-examines paused sockets once their grace has run out, even when nothing else is appended meanwhile. */
  private scheduleStallCheck(): void {
    if (this.stallCheck) return;
    this.stallCheck = setTimeout(() => {
      this.stallCheck = null;
      for (const ws of this.ctx.getWebSockets()) {
        if (readCursor(ws)?.paused_since != null) this.pumpSocket(ws);
      }
    }, this.flow.stallMs + 1);
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

  /**
   * Reads one page after the cursor, at most `limit` sequences wide; `next` moves past everything scanned,
   * matched or not.
   */
  private page(cursor: SubscriberCursor, limit = this.pageSize): { events: Event[]; next: number; more: boolean } {
    const last = this.log.lastSequence;
    if (cursor.next > last) return { events: [], next: cursor.next, more: false };
    const filter: LogFilter = { run_id: cursor.run_id, types: cursor.types };
    const upTo = Math.min(last, cursor.next + Math.min(this.pageSize, limit) - 1);
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

/** A socket's cursor; sockets accepted before flow control existed get its fields from their position. */
function readCursor(ws: WebSocket): SocketCursor | null {
  const stored = ws.deserializeAttachment() as (SubscriberCursor & Partial<SocketCursor>) | null;
  if (!stored) return null;
  return { ...stored, acked: stored.acked ?? stored.next - 1, last_sent: stored.last_sent ?? stored.next - 1, paused_since: stored.paused_since ?? null };
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

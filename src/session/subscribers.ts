import { matchesFilter, type EventLog, type LogFilter } from "./log";
import type { Frame } from "./recent-frames";
import { SseSubscriber } from "./sse";

export { SseSubscriber } from "./sse";

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
 * How long a socket's moved cursor may live only in memory before it is written to the socket's attachment.
 * Writing it at every send was a structured clone per socket per frame. A socket written longer ago than this is
 * written at once (by the pass that moved it, after the answer); otherwise one timer writes what is left. The object
 * cannot hibernate while that timer is pending (a Durable Object only hibernates with no timers set), so every
 * wake still finds each cursor where the last send left it.
 */
export const ATTACHMENT_SAVE_DELAY_MS = 500;

/**
 * The save timer comes back no sooner than this. Re-armed for the next socket to fall due, it came back almost at
 * once: 1,000 sockets fall due a few every millisecond, and each run looked at every moved socket to write one or
 * two (4,000–10,000 runs per second at 1,000 subscribers, 6–9 million lookups per second on the session's thread).
 * A socket is due this much before the delay runs out, so the bound still holds.
 */
export const SAVE_TIMER_GAP_MS = ATTACHMENT_SAVE_DELAY_MS / 4;

/**
 * What this instance knows of one socket: its cursor (changed in place as it moves), when its attachment was last
 * written (less a random part of the delay, see write), and whether the attachment lags the cursor.
 */
type SocketState = { cursor: SocketCursor; savedAt: number; unsaved: boolean };

/** One subscriber of either kind, as the delivery pass walks them. */
export type Subscriber = WebSocket | SseSubscriber;

/** What one pump did: frames sent, and whether the subscriber has more waiting than one page. */
export type Pumped = { sent: number; more: boolean };

type Page = { items: readonly Frame[]; next: number; more: boolean };

const NOTHING: Pumped = { sent: 0, more: false };

/**
 * Delivers the log to live subscribers (hibernatable WebSockets and in-memory SSE streams).
 * Every delivery reads from the subscriber's own cursor, so replay and live share one path: the seam between
 * them cannot duplicate or skip, and a reconnect from `last_seen + 1` resumes exactly. A cursor inside the
 * log's in-memory head (`log.recent`) takes the frames serialised once for everyone; one further behind reads
 * its own page from storage. When to deliver is the delivery pass's business (delivery.ts).
 */
export class Subscribers {
  private readonly sse = new Set<SseSubscriber>();
  /**
   * Each socket's state, found with one lookup per socket per pass. Reading the cursor back from the attachment
   * costs a structured-clone per socket per pass (a sixth of a pass over 1,000 sockets, measured); separate maps
   * for the cursor and the save time cost four hash lookups per socket per pass (3.4 % of the runtime's CPU at
   * 1,000 subscribers, profiled). workerd hands out one JS object per socket for the life of an instance, so the
   * key is stable; a fresh instance (after hibernation) starts empty and loads each cursor from its attachment once.
   */
  private readonly states = new WeakMap<WebSocket, SocketState>();
  /** Sockets whose attachment lags their cursor (`unsaved` in their state), and the timer that will write them. */
  private readonly unsaved = new Set<WebSocket>();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** How many times the save timer ran (tests check it cannot spin). */
  saveTimerRuns = 0;
  /** Open sockets as of the last count (a pass recounts; an accept or a close forgets it), to size a pass cheaply. */
  private socketCount: number | null = null;
  /** A pass's shared page for unfiltered cursors at the same position: built once, not once per socket. */
  private shared: { from: number; to: number; last: number; page: Page } | null = null;
  private stallCheck: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly log: EventLog,
    private readonly pageSize: number,
    private readonly flow: FlowLimits,
    /** Asks for a delivery pass (a subscriber has more than a page waiting). */
    private readonly requestPass: () => void,
  ) {}

  acceptWebSocket(ws: WebSocket, cursor: SubscriberCursor): void {
    this.ctx.acceptWebSocket(ws);
    this.socketCount = null;
    const start: SocketCursor = { ...cursor, acked: cursor.next - 1, last_sent: cursor.next - 1, paused_since: null };
    const state: SocketState = { cursor: start, savedAt: 0, unsaved: false };
    // Written at once: a socket is never without an attachment.
    this.write(ws, state, Date.now());
    this.states.set(ws, state);
    this.afterPump(this.pumpSocket(ws));
  }

  /** A socket closed: the next pass recounts. */
  socketClosed(ws: WebSocket): void {
    this.socketCount = null;
    const state = this.states.get(ws);
    if (state) state.unsaved = false;
    this.unsaved.delete(ws);
  }

  /** Cursors moved since their attachments were last written (0 when the object could hibernate losing nothing). */
  get unsavedCursors(): number {
    return this.unsaved.size;
  }

  /** True while this socket's attachment lags its cursor (a write is pending). */
  isUnsaved(ws: WebSocket): boolean {
    return this.states.get(ws)?.unsaved ?? false;
  }

  /**
   * The save timer: writes the moved cursors whose write is due, and comes back when the next one falls due, but
   * not within `SAVE_TIMER_GAP_MS`. Writing every moved cursor here instead wrote ~800 of 1,000 sockets in one turn
   * every 500 ms, on top of the passes' own writes.
   */
  private saveAttachments(): void {
    this.saveTimer = null;
    this.saveTimerRuns += 1;
    const now = Date.now();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const ws of this.unsaved) {
      const state = this.states.get(ws);
      if (state) {
        const due = dueAt(state);
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          continue;
        }
        this.write(ws, state, now);
      }
      this.unsaved.delete(ws);
    }
    if (this.unsaved.size > 0) this.armSaveTimer(nextDue - now);
  }

  private armSaveTimer(delayMs: number): void {
    this.saveTimer = setTimeout(() => this.saveAttachments(), Math.max(delayMs, SAVE_TIMER_GAP_MS));
  }

  /** Writes the cursor to the attachment; the caller takes the socket out of `unsaved`. */
  private write(ws: WebSocket, state: SocketState, now: number): void {
    try {
      ws.serializeAttachment(state.cursor);
    } catch {
      /* closed meanwhile: nothing to resume */
    }
    // Dated up to a timer gap early, so sockets written together fall due in different passes, not all in one.
    state.savedAt = now - Math.random() * SAVE_TIMER_GAP_MS;
    state.unsaved = false;
  }

  /** Records a client's ack (acks never move backwards) and resumes sending if that reopened its window. */
  acknowledge(ws: WebSocket, sequence: number): void {
    const state = this.stateOf(ws);
    if (!state || sequence <= state.cursor.acked) return;
    // An ack past the last frame sent is clamped: it cannot open credit for events the client has not been sent.
    state.cursor.acked = Math.min(sequence, state.cursor.last_sent);
    state.cursor.paused_since = null;
    this.save(ws, state);
    this.afterPump(this.pumpSocket(ws));
  }

  /** Opens an SSE stream from the cursor; one shared timer sends comment heartbeats while any is open. */
  openSse(cursor: SubscriberCursor, heartbeatMs: number, stall: { maxQueued: number; stallMs: number }): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub = new SseSubscriber(cursor, writable.getWriter(), stall);
    sub.heartbeat();
    this.sse.add(sub);
    this.afterPump(this.pumpSse(sub));
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

  /** How many subscribers of either kind are open (sockets as of the last count). */
  get size(): number {
    this.socketCount ??= this.ctx.getWebSockets().length;
    return this.socketCount + this.sse.size;
  }

  get counts(): { websockets: number; sse: number } {
    return { websockets: this.ctx.getWebSockets().length, sse: this.sse.size };
  }

  /** Everyone a delivery pass visits, in a stable order. */
  all(): Subscriber[] {
    const sockets = this.ctx.getWebSockets();
    this.socketCount = sockets.length;
    return this.sse.size === 0 ? sockets : [...sockets, ...this.sse];
  }

  /** Sends one subscriber what it may have now. */
  pump(sub: Subscriber): Pumped {
    return sub instanceof SseSubscriber ? this.pumpSse(sub) : this.pumpSocket(sub);
  }

  private afterPump(result: Pumped): void {
    if (result.more) this.requestPass();
  }

  /** Sends what the socket's window allows, a page at a time; pauses (and later drops) a socket that stopped acking. */
  private pumpSocket(ws: WebSocket): Pumped {
    const state = this.stateOf(ws);
    if (!state || ws.readyState !== WebSocket.OPEN) return NOTHING;
    const cursor = state.cursor;
    if (cursor.next > this.log.lastSequence) return NOTHING;
    // Never send a sequence beyond acked + window. A client that acked every frame sent is caught up with all we
    // scanned (the rest was filtered out), so a sparse filter never runs out of credit.
    const acked = cursor.last_sent <= cursor.acked ? cursor.next - 1 : cursor.acked;
    const credit = acked + this.flow.window - (cursor.next - 1);
    if (credit <= 0) {
      this.pause(ws, state);
      return NOTHING;
    }
    const { items, next, more } = this.page(cursor, credit);
    if (next === cursor.next) return NOTHING;
    try {
      for (const item of items) ws.send(item.json);
    } catch {
      return NOTHING;
    }
    if (items.length) cursor.last_sent = items[items.length - 1]!.event.sequence;
    cursor.next = next;
    cursor.paused_since = null;
    this.save(ws, state);
    return { sent: items.length, more };
  }

  /** A full window is fine for a moment (a burst); full for longer than `stallMs`, the reader is gone or stuck. */
  private pause(ws: WebSocket, state: SocketState): void {
    const now = Date.now();
    const cursor = state.cursor;
    if (cursor.paused_since === null) {
      cursor.paused_since = now;
      this.save(ws, state);
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
        if (this.cursorOf(ws)?.paused_since != null) this.afterPump(this.pumpSocket(ws));
      }
    }, this.flow.stallMs + 1);
  }

  private pumpSse(sub: SseSubscriber): Pumped {
    if (sub.closed) {
      this.sse.delete(sub);
      return NOTHING;
    }
    const { items, next, more } = this.page(sub.cursor);
    if (next === sub.cursor.next) return NOTHING;
    sub.cursor.next = next;
    for (const item of items) sub.sendEvent(item.event, item.json);
    return { sent: items.length, more };
  }

  /**
   * Reads one page after the cursor, at most `limit` sequences wide; `next` moves past everything scanned,
   * matched or not. Inside the in-memory head the frames are shared; behind it, the page comes from storage.
   */
  private page(cursor: SubscriberCursor, limit = this.pageSize): Page {
    const last = this.log.lastSequence;
    if (cursor.next > last) return { items: [], next: cursor.next, more: false };
    const upTo = Math.min(last, cursor.next + Math.min(this.pageSize, limit) - 1);
    const unfiltered = cursor.run_id === undefined && cursor.types === undefined;
    const shared = this.shared;
    // Subscribers at the head usually stand at the same sequence: they share one page (read-only) per append.
    if (unfiltered && shared && shared.from === cursor.next && shared.to === upTo && shared.last === last) return shared.page;
    const page: Page = { items: this.readPage(cursor, upTo), next: upTo + 1, more: upTo < last };
    if (unfiltered) {
      // Valid for this synchronous stretch of the pass only: nothing can change the log before the microtask.
      if (!this.shared) queueMicrotask(() => (this.shared = null));
      this.shared = { from: cursor.next, to: upTo, last, page };
    }
    return page;
  }

  private readPage(cursor: SubscriberCursor, upTo: number): Frame[] {
    const filter: LogFilter = { run_id: cursor.run_id, types: cursor.types };
    if (this.log.recent.covers(cursor.next)) {
      const frames = this.log.recent.range(cursor.next, upTo);
      return filter.run_id === undefined && filter.types === undefined ? frames : frames.filter((f) => matchesFilter(f.event, filter));
    }
    return this.log
      .read({ after: cursor.next - 1, before: upTo + 1, run_id: filter.run_id, types: filter.types, limit: this.pageSize })
      .map((event) => ({ event, json: JSON.stringify(event) }));
  }

  /** The socket's cursor: the in-memory one, or (first time in this instance) its attachment's. */
  cursorOf(ws: WebSocket): SocketCursor | null {
    return this.stateOf(ws)?.cursor ?? null;
  }

  private stateOf(ws: WebSocket): SocketState | null {
    const known = this.states.get(ws);
    if (known) return known;
    const stored = readCursor(ws);
    if (!stored) return null;
    // Never written by this instance: its first move writes it.
    const state: SocketState = { cursor: stored, savedAt: Number.NEGATIVE_INFINITY, unsaved: false };
    this.states.set(ws, state);
    return state;
  }

  /**
   * The cursor moved (in place): it is written to the attachment within `ATTACHMENT_SAVE_DELAY_MS`. A stream's many
   * moves cost about one write per socket per delay, spread over the passes, and a pending timer keeps the object
   * from hibernating until the attachment is current, so a wake resumes exactly.
   */
  private save(ws: WebSocket, state: SocketState): void {
    const now = Date.now();
    const due = dueAt(state);
    if (now >= due) {
      if (state.unsaved) this.unsaved.delete(ws);
      this.write(ws, state, now);
      return;
    }
    // Already waiting: no set operation (this runs per socket per pass).
    if (state.unsaved) return;
    state.unsaved = true;
    this.unsaved.add(ws);
    if (!this.saveTimer) this.armSaveTimer(due - now);
  }
}

/**
 * When a socket's attachment should next be written, if its cursor moved: a timer gap before the delay runs out,
 * because the timer may come that much after a socket falls due.
 */
function dueAt(state: SocketState): number {
  return state.savedAt + ATTACHMENT_SAVE_DELAY_MS - SAVE_TIMER_GAP_MS;
}

/** A socket's cursor; sockets accepted before flow control existed get its fields from their position. */
function readCursor(ws: WebSocket): SocketCursor | null {
  const stored = ws.deserializeAttachment() as (SubscriberCursor & Partial<SocketCursor>) | null;
  if (!stored) return null;
  return {
    ...stored,
    acked: stored.acked ?? stored.next - 1,
    last_sent: stored.last_sent ?? stored.next - 1,
    paused_since: stored.paused_since ?? null,
  };
}

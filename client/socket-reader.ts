import { ErrorBodySchema } from "../src/core/errors";
import { EventSchema, type Event } from "../src/core/event";
import { ackFrame } from "../src/core/socket-protocol";
import { AckPacer } from "./ack-pacer";
import { AsmError } from "./errors";
import type { WebSocketLike } from "./websocket";

export type KeepaliveOptions = { pingIntervalMs: number; pongTimeoutMs: number; connectTimeoutMs: number };

/** Why a connection ended; `error` is set when it ended on something the follower should not retry. */
export type SocketEnd = { kind: "end"; reason: string; error?: AsmError };
type Item = { kind: "event"; event: Event } | SocketEnd;

const decoder = new TextDecoder();

/**
 * Turns one WebSocket into a pull-based stream of events. It sends "ping" every `pingIntervalMs` and treats a socket
 * that answers nothing (no event, no "pong") within `pongTimeoutMs` as dead, since a half-open TCP connection can stay
 * silent forever without a close event. It acks events as the caller takes them, so a slow caller slows the server
 * down instead of growing this queue without bound.
 */
export class SocketReader {
  private readonly queue: Item[] = [];
  private waiter: ((item: Item) => void) | null = null;
  private ended = false;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private lastTaken = 0;
  private readonly acks = new AckPacer(() => this.sendAck());
  /** Whether the socket opened and the server said anything (an event or a pong): the mark of a healthy connection. */
  heardFromServer = false;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly keepalive: KeepaliveOptions,
    signal?: AbortSignal,
  ) {
    this.connectTimer = setTimeout(() => this.finish("connect timeout"), keepalive.connectTimeoutMs);
    ws.addEventListener("open", () => this.onOpen());
    ws.addEventListener("message", (ev: { data?: unknown }) => this.onMessage(ev.data));
    ws.addEventListener("close", (ev: { code?: unknown; reason?: unknown }) =>
      this.finish(`closed (${String(ev.code ?? "?")}${typeof ev.reason === "string" && ev.reason ? ` ${ev.reason}` : ""})`),
    );
    ws.addEventListener("error", () => this.finish("socket error"));
    signal?.addEventListener("abort", () => this.finish("aborted"), { once: true });
  }

  /** The next event, or the end of the connection. */
  next(): Promise<Item> {
    const item = this.queue.shift();
    if (item) return Promise.resolve(this.taken(item));
    if (this.ended) return Promise.resolve({ kind: "end", reason: "ended" });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Counts an event handed to the caller towards the next ack. */
  private taken(item: Item): Item {
    if (item.kind !== "event") return item;
    this.lastTaken = item.event.sequence;
    this.acks.taken();
    return item;
  }

  private sendAck(): void {
    if (this.ended) return;
    try {
      this.ws.send(ackFrame(this.lastTaken));
    } catch {
      this.finish("send failed");
    }
  }

  close(): void {
    this.finish("closed by client");
  }

  private onOpen(): void {
    clearTimeout(this.connectTimer);
    this.pingTimer = setInterval(() => this.ping(), this.keepalive.pingIntervalMs);
  }

  private ping(): void {
    try {
      this.ws.send("ping");
    } catch {
      return this.finish("send failed");
    }
    if (this.pongTimer === undefined) this.pongTimer = setTimeout(() => this.finish("keepalive timeout"), this.keepalive.pongTimeoutMs);
  }

  private onMessage(data: unknown): void {
    if (this.ended) return;
    // Any frame proves the connection alive.
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
    this.heardFromServer = true;
    const text =
      typeof data === "string"
        ? data
        : data instanceof ArrayBuffer || ArrayBuffer.isView(data)
          ? decoder.decode(data as ArrayBuffer)
          : String(data);
    if (text === "pong") return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.finish("bad frame", new AsmError("invalid_response", `WebSocket sent a frame that is not JSON: ${text.slice(0, 80)}`));
    }
    const event = EventSchema.safeParse(json);
    if (event.success) return this.push({ kind: "event", event: event.data });
    const err = ErrorBodySchema.safeParse(json);
    if (err.success) {
      const { code, message, details, retryable } = err.data.error;
      return this.finish(`server error ${code}`, retryable ? undefined : new AsmError(code, message, { details, retryable }));
    }
    this.finish(
      "bad frame",
      new AsmError("invalid_response", "WebSocket sent a message that is not an event", {
        details: { issues: event.error.issues.slice(0, 3) },
      }),
    );
  }

  private push(item: Item): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter(this.taken(item));
    } else {
      this.queue.push(item);
    }
  }

  private finish(reason: string, error?: AsmError): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.pongTimer);
    this.acks.stop();
    clearInterval(this.pingTimer);
    try {
      this.ws.close(4000, reason.slice(0, 100));
    } catch {
      // Closing a socket that never opened can throw; it is gone either way.
    }
    this.push(error ? { kind: "end", reason, error } : { kind: "end", reason });
  }
}

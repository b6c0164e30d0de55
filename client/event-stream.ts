import type { Event, EventPage } from "../src/core/event";
import { Backoff, sleep } from "./backoff";
import { AsmError, isTransient } from "./errors";
import { SequenceGate } from "./sequence-gate";
import { SocketReader } from "./socket-reader";
import type { WebSocketLike } from "./websocket";

export type Transport = "websocket" | "poll";

export type FollowOptions = {
  /** First sequence wanted (inclusive); default 1. */
  from?: number | undefined;
  runId?: string | undefined;
  types?: string[] | undefined;
  /** Aborting ends the iteration quietly. */
  signal?: AbortSignal | undefined;
  /** `auto` (default) starts on the WebSocket and falls back to long-poll. */
  transport?: "auto" | Transport | undefined;
  pingIntervalMs?: number | undefined;
  pongTimeoutMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  backoffInitialMs?: number | undefined;
  backoffMaxMs?: number | undefined;
  /** Consecutive connections that fail to open (or never hear back) before `auto` switches to long-poll. */
  maxSocketFailures?: number | undefined;
  /** In `auto` mode, how long to long-poll before trying the WebSocket again; default 60 s. */
  socketRetryMs?: number | undefined;
  /** Long-poll wait per request. */
  pollWaitMs?: number | undefined;
  pageLimit?: number | undefined;
  /** Told whenever the follower (re)starts on a transport. */
  onTransport?: ((transport: Transport) => void) | undefined;
};

type PageParams = { after?: number; before?: number; limit?: number; run_id?: string; type?: string[]; wait_ms?: number };
type Filters = { runId?: string | undefined; types?: string[] | undefined };

/** What the follower needs from the client: cursor reads and a socket opened at a sequence (null: no WebSocket here). */
export type FollowSource = {
  readPage(params: PageParams, signal?: AbortSignal): Promise<EventPage>;
  openSocket(from: number, filters: Filters): Promise<WebSocketLike | null>;
};

/**
 * Follows one session's log live and yields every event exactly once, in sequence order, across reconnects:
 * each (re)connection starts at `last_seen + 1`, anything at or below `last_seen` is dropped, and (without filters)
 * a jump past `last_seen + 1` is filled by a cursor read before the jumping event is yielded.
 */
export async function* followEvents(source: FollowSource, opts: FollowOptions = {}): AsyncGenerator<Event> {
  const filters: Filters = { runId: opts.runId, types: opts.types?.length ? opts.types : undefined };
  const gate = new SequenceGate(Math.max(1, opts.from ?? 1), Boolean(filters.runId || filters.types));
  const signal = opts.signal;
  const backoff = new Backoff(opts.backoffInitialMs ?? 250, opts.backoffMaxMs ?? 10_000);
  const maxFailures = opts.maxSocketFailures ?? 4;
  const pageLimit = opts.pageLimit ?? 500;
  const baseParams: PageParams = { ...(filters.runId ? { run_id: filters.runId } : {}), ...(filters.types ? { type: filters.types } : {}) };
  let transport: Transport = opts.transport === "poll" ? "poll" : "websocket";
  let socketFailures = 0;
  let announced: Transport | null = null;
  let pollingSince = 0;

  /** Yields `e` after whatever the gate says must come first. */
  async function* admit(e: Event): AsyncGenerator<Event> {
    const verdict = gate.classify(e);
    if (verdict === "duplicate") return;
    if (verdict === "gap") yield* fillGap(e.sequence);
    if (gate.classify(e) === "duplicate") return;
    gate.pass(e);
    yield e;
  }

  /** Reads the missing range [next, target) by cursor; what the server does not have (pruned) is skipped. */
  async function* fillGap(target: number): AsyncGenerator<Event> {
    while (gate.next < target) {
      const page = await withRetry(
        () => source.readPage({ after: gate.next - 1, before: target, limit: pageLimit }, signal),
        backoff,
        signal,
      );
      if (!page) return;
      for (const e of page.events) {
        if (gate.classify(e) !== "yield") continue;
        gate.pass(e);
        yield e;
      }
      if (page.next_after === null) break;
    }
    gate.skipTo(target);
  }

  while (!signal?.aborted) {
    if (announced !== transport) {
      announced = transport;
      opts.onTransport?.(transport);
    }
    if (transport === "poll") {
      if (opts.transport === undefined || opts.transport === "auto") {
        // Sockets may have failed for a passing reason (a proxy, a deploy): try one again now and then.
        if (pollingSince === 0) pollingSince = Date.now();
        else if (Date.now() - pollingSince >= (opts.socketRetryMs ?? 60_000)) {
          pollingSince = 0;
          socketFailures = maxFailures - 1;
          transport = "websocket";
          continue;
        }
      }
      const page = await withRetry(
        () => source.readPage({ ...baseParams, after: gate.next - 1, limit: pageLimit, wait_ms: opts.pollWaitMs ?? 25_000 }, signal),
        backoff,
        signal,
      );
      if (!page) return;
      for (const e of page.events) yield* admit(e);
      continue;
    }

    const socket = await source.openSocket(gate.next, filters);
    if (!socket) {
      if (opts.transport === "websocket") throw new AsmError("dependency_not_available", "No WebSocket implementation is available");
      transport = "poll";
      continue;
    }
    const reader = new SocketReader(
      socket,
      {
        pingIntervalMs: opts.pingIntervalMs ?? 15_000,
        pongTimeoutMs: opts.pongTimeoutMs ?? 10_000,
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      },
      signal,
    );
    try {
      for (;;) {
        const item = await reader.next();
        if (item.kind === "end") {
          if (item.error) throw item.error;
          break;
        }
        yield* admit(item.event);
      }
    } finally {
      reader.close();
    }
    if (signal?.aborted) return;
    if (reader.heardFromServer) {
      socketFailures = 0;
      backoff.reset();
    } else if (++socketFailures >= maxFailures && opts.transport !== "websocket") {
      transport = "poll";
      continue;
    }
    await sleep(backoff.next(), signal);
  }
}

/** Runs a read, retrying transient failures with backoff; null when aborted. Permanent errors are thrown. */
async function withRetry<T>(read: () => Promise<T>, backoff: Backoff, signal: AbortSignal | undefined): Promise<T | null> {
  for (;;) {
    if (signal?.aborted) return null;
    try {
      const value = await read();
      backoff.reset();
      return value;
    } catch (err) {
      if (signal?.aborted) return null;
      if (!isTransient(err)) throw err;
      await sleep(backoff.next(), signal);
    }
  }
}

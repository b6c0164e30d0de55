import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../../src/core/event";
import { newId } from "../../../src/core/ids";
import { EventLog, type PendingEvent } from "../../../src/session/log";
import type { SessionDO } from "../../../src/session/SessionDO";
import { Subscribers } from "../../../src/session/subscribers";

/** An object that holds no session: its storage (migrated tables) and socket list are the test's own. */
function freshObject() {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`subscribers:${newId("ses")}`));
}

function pending(n: number, run_id: string | null = null): PendingEvent {
  return {
    id: `evt_${crypto.randomUUID()}`,
    run_id,
    type: "message_sent",
    timestamp: "2026-01-01T00:00:00.000Z",
    provider: null,
    correlation_id: null,
    schema_version: 1,
    origin: "client",
    data: { n },
    metadata: {},
  };
}

/** Collects the sequences a client socket receives; `until(n)` resolves once n frames arrived (no timers). */
function client(ws: WebSocket) {
  const seen: number[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  ws.accept();
  ws.addEventListener("message", (m) => {
    seen.push((JSON.parse(String(m.data)) as Event).sequence);
    for (const w of [...waiting])
      if (seen.length >= w.n) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
  });
  return {
    seen,
    until: (n: number) => (seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }))),
  };
}

describe("Subscribers", () => {
  it("replays from the cursor, then sends only within the ack window, and resumes on an ack", async () => {
    await runInDurableObject(freshObject(), async (_i: SessionDO, state) => {
      const log = new EventLog(state.storage.sql, () => "ses_parts");
      log.append(
        [1, 2, 3, 4, 5].map((n) => pending(n)),
        state.storage,
        new Set(),
      );
      let passes = 0;
      const subs = new Subscribers(state, log, 100, { window: 3, stallMs: 600_000 }, () => {
        passes += 1;
      });
      const pair = new WebSocketPair();
      // The server side is accepted first (hibernation API); frames sent before the client accepts wait for it.
      subs.acceptWebSocket(pair[1], { next: 2 });
      const c = client(pair[0]);
      await c.until(3);
      expect(c.seen).toEqual([2, 3, 4]);
      expect(subs.counts).toEqual({ websockets: 1, sse: 0 });
      // The window is full: a pump sends nothing until the client acks.
      expect(subs.pump(pair[1])).toEqual({ sent: 0, more: false });
      subs.acknowledge(pair[1], 3);
      await c.until(4);
      expect(c.seen).toEqual([2, 3, 4, 5]);
      // Only the first page left an event behind (5, past the window), so only it asked for another pass.
      expect(passes).toBe(1);
      pair[1].close(1000, "done");
    });
  });

  it("a filtered socket gets only its run's events, and an ack past what was sent is clamped", async () => {
    await runInDurableObject(freshObject(), async (_i: SessionDO, state) => {
      const log = new EventLog(state.storage.sql, () => "ses_parts");
      log.append([pending(1), pending(2, "run_a"), pending(3), pending(4, "run_a")], state.storage, new Set());
      const subs = new Subscribers(state, log, 100, { window: 100, stallMs: 600_000 }, () => {});
      const pair = new WebSocketPair();
      subs.acceptWebSocket(pair[1], { next: 1, run_id: "run_a" });
      const c = client(pair[0]);
      await c.until(2);
      expect(c.seen).toEqual([2, 4]);
      // Nothing new: an ack far ahead opens no credit for events not yet sent.
      subs.acknowledge(pair[1], 1_000);
      log.append([pending(5, "run_a")], state.storage, new Set());
      expect(subs.pump(pair[1]).sent).toBe(1);
      await c.until(3);
      expect(c.seen).toEqual([2, 4, 5]);
      pair[1].close(1000, "done");
    });
  });
});

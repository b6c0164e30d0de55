import { afterEach, describe, expect, it } from "vitest";
import { AsmClient } from "../../../client/client";
import type { FollowOptions, Transport } from "../../../client/event-stream";
import type { Event } from "../../../src/core/event";
import { startLogServer, type LogServer } from "./log-server";

const SESSION = "ses_0123456789abcdef0123456789abcdef";
const FAST: FollowOptions = {
  pingIntervalMs: 60,
  pongTimeoutMs: 120,
  connectTimeoutMs: 1000,
  backoffInitialMs: 5,
  backoffMaxMs: 40,
  pollWaitMs: 300,
};

let server: LogServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Appends `total` events in random small batches over HTTP, alternating two runs, while the follower reads. */
async function appendOverHttp(client: AsmClient, total: number, random: () => number): Promise<void> {
  let appended = 0;
  while (appended < total) {
    const batch = Math.min(total - appended, 1 + Math.floor(random() * 4));
    const events = Array.from({ length: batch }, (_, i) => ({
      type: "message_streamed",
      run_id: (appended + i) % 3 === 0 ? "run_b" : "run_a",
      data: { delta: `#${appended + i + 1}` },
    }));
    await client.appendEvents(SESSION, events);
    appended += batch;
    if (random() < 0.5) await pause(Math.floor(random() * 6));
  }
}

/**
 * Collects what the follower yields until `done(seen)` holds or the deadline passes. The deadline only stops a
 * follower that would hang; it is far above what any test needs even on a busy 2-core machine.
 */
async function collect(iter: AsyncGenerator<Event>, done: (seen: Event[]) => boolean, ms = 60_000): Promise<Event[]> {
  const seen: Event[] = [];
  const deadline = setTimeout(() => void iter.return(undefined), ms);
  try {
    for await (const e of iter) {
      seen.push(e);
      if (done(seen)) break;
    }
  } finally {
    clearTimeout(deadline);
  }
  return seen;
}

const seqs = (events: Event[]) => events.map((e) => e.sequence);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe("AsmClient.events: exactly once under forced disconnects", { timeout: 90_000 }, () => {
  for (const seed of [7, 1234, 99991]) {
    it(`WebSocket with drops, duplicates, lost frames and silent sockets (seed ${seed})`, async () => {
      server = await startLogServer(SESSION, seed, { maxFramesPerConnection: 25, duplicateRate: 0.05, loseRate: 0.04, silentRate: 0.02 });
      const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
      const total = 400;
      server.append([{ type: "session_created" }, { type: "session_started" }]);
      const transports: Transport[] = [];
      const iter = client.events(SESSION, { ...FAST, maxSocketFailures: 1000, onTransport: (t) => transports.push(t) });
      const reading = collect(iter, (seen) => seen.length >= total + 2);
      await appendOverHttp(client, total, seeded(seed));
      // Faults off, then one last cut: whatever a lost frame left unseen at the tail arrives on the reconnect.
      Object.assign(server.faults, { maxFramesPerConnection: 0, loseRate: 0, duplicateRate: 0, silentRate: 0 });
      server.dropAll();
      const seen = await reading;

      expect(seqs(seen)).toEqual(range(1, total + 2));
      expect(seen.map((e) => e.id)).toEqual(server.events.map((e) => e.id));
      expect(transports).toEqual(["websocket"]);
      // The faults really happened: reconnects, duplicates on the wire, frames lost (gaps filled by cursor reads).
      expect(server.stats.connections).toBeGreaterThan(10);
      expect(server.stats.duplicated).toBeGreaterThan(0);
      expect(server.stats.lost).toBeGreaterThan(0);
    });
  }

  it("detects a silent socket by keepalive and resumes from last_seen + 1", async () => {
    server = await startLogServer(SESSION, 5, { silentRate: 1 });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    server.append(range(1, 3).map(() => ({ type: "message_streamed" as const })));
    const iter = client.events(SESSION, { ...FAST, maxSocketFailures: 1000 });
    const reading = collect(iter, (seen) => seen.length >= 10);
    // Every connection goes silent after its first frame; only the ping/pong deadline can notice.
    for (let i = 0; i < 7; i++) {
      await pause(30);
      server.append([{ type: "message_streamed" }]);
    }
    const seen = await reading;
    expect(seqs(seen)).toEqual(range(1, 10));
    expect(server.stats.silenced).toBeGreaterThan(3);
    expect(server.stats.pings).toBeGreaterThan(0);
  });

  it("a run filter yields exactly that run's events, once each, across drops and duplicates", async () => {
    server = await startLogServer(SESSION, 42, { maxFramesPerConnection: 15, duplicateRate: 0.1 });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    const total = 300;
    const iter = client.events(SESSION, { ...FAST, runId: "run_b", maxSocketFailures: 1000 });
    const expected = () => server!.events.filter((e) => e.run_id === "run_b").map((e) => e.sequence);
    const reading = collect(iter, (seen) => seen.length >= total / 3);
    await appendOverHttp(client, total, seeded(3));
    const seen = await reading;
    expect(seqs(seen)).toEqual(expected());
    expect(seen.every((e) => e.run_id === "run_b")).toBe(true);
    expect(server.stats.drops).toBeGreaterThan(3);
  });

  it("falls back to long-poll when upgrades are refused, and survives failing polls", async () => {
    server = await startLogServer(SESSION, 11, { refuseUpgrade: true, pollFailRate: 0.2 });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    const total = 250;
    const transports: Transport[] = [];
    const iter = client.events(SESSION, { ...FAST, maxSocketFailures: 2, onTransport: (t) => transports.push(t) });
    const reading = collect(iter, (seen) => seen.length >= total);
    await appendOverHttp(client, total, seeded(8));
    const seen = await reading;
    expect(seqs(seen)).toEqual(range(1, total));
    expect(transports).toEqual(["websocket", "poll"]);
    expect(server.stats.pollFailures).toBeGreaterThan(0);
  });

  it("goes back to the WebSocket once upgrades work again", async () => {
    server = await startLogServer(SESSION, 13, { refuseUpgrade: true });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    const transports: Transport[] = [];
    const iter = client.events(SESSION, { ...FAST, maxSocketFailures: 2, socketRetryMs: 150, onTransport: (t) => transports.push(t) });
    const reading = collect(iter, (seen) => seen.length >= 200);
    await appendOverHttp(client, 100, seeded(4));
    server.faults.refuseUpgrade = false;
    await pause(250);
    await appendOverHttp(client, 100, seeded(5));
    const seen = await reading;
    expect(seqs(seen)).toEqual(range(1, 200));
    // Socket retries (every 150 ms) that land while upgrades are still refused go back to polling, so a slow
    // machine sees more than one websocket → poll round; the follower must end on the socket and stay there.
    expect(transports.slice(0, 2)).toEqual(["websocket", "poll"]);
    expect(transports.every((t, i) => t === (i % 2 === 0 ? "websocket" : "poll"))).toBe(true);
    expect(transports.at(-1)).toBe("websocket");
    expect(server.stats.connections).toBeGreaterThan(0);
  });

  it("long-poll from the middle of the log, with a small page size", async () => {
    server = await startLogServer(SESSION, 3, { pollFailRate: 0.1 });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    server.append(range(1, 120).map(() => ({ type: "message_streamed" as const })));
    const iter = client.events(SESSION, { ...FAST, transport: "poll", from: 50, pageLimit: 7 });
    const reading = collect(iter, (seen) => seen.length >= 171);
    await appendOverHttp(client, 100, seeded(2));
    const seen = await reading;
    expect(seqs(seen)).toEqual(range(50, 220));
  });

  it("acks what the caller takes, so a server's flow-control window paces delivery on one connection", async () => {
    server = await startLogServer(SESSION, 11, { window: 100 });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    server.append(range(1, 500).map(() => ({ type: "message_streamed" as const })));
    const iter = client.events(SESSION, { ...FAST, pingIntervalMs: 5_000, pongTimeoutMs: 5_000 });
    // The server may run at most 100 ahead of what the caller has taken.
    const seen = await collect(iter, (s) => s.length === 500);
    expect(seqs(seen)).toEqual(range(1, 500));
    expect(server.stats.connections).toBe(1);
    // Each ack opens at most 100 more (the window): reaching 500 took at least 4, by count or once held at the window.
    expect(server.stats.acks).toBeGreaterThanOrEqual(4);
  });

  it("a window smaller than the ack batch still drains: the idle ack releases it", async () => {
    server = await startLogServer(SESSION, 12, { window: 10 });
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    server.append(range(1, 25).map(() => ({ type: "message_streamed" as const })));
    const seen = await collect(client.events(SESSION, { ...FAST, pingIntervalMs: 5_000, pongTimeoutMs: 5_000 }), (s) => s.length === 25);
    expect(seqs(seen)).toEqual(range(1, 25));
    expect(server.stats.acks).toBeGreaterThanOrEqual(2);
    expect(server.stats.connections).toBe(1);
  });

  it("ending the iteration closes the socket; aborting ends it quietly", async () => {
    server = await startLogServer(SESSION, 9);
    const client = new AsmClient({ baseUrl: server.url, apiKey: server.apiKey });
    server.append(range(1, 5).map(() => ({ type: "message_streamed" as const })));
    const first = await collect(client.events(SESSION, FAST), (seen) => seen.length === 2);
    expect(seqs(first)).toEqual([1, 2]);
    await pause(50);
    expect(server.openSockets()).toBe(0);

    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of client.events(SESSION, { ...FAST, signal: controller.signal })) seen.push(e.sequence);
    })();
    await pause(100);
    controller.abort();
    await done;
    expect(seen).toEqual(range(1, 5));
  });

  it("a permanent error (bad key) surfaces as AsmError instead of retrying forever", async () => {
    server = await startLogServer(SESSION, 1);
    const client = new AsmClient({ baseUrl: server.url, apiKey: "wrong" });
    const iter = client.events(SESSION, { ...FAST, maxSocketFailures: 2 });
    await expect(iter.next()).rejects.toMatchObject({ name: "AsmError", code: "unauthorized", status: 401, retryable: false });
  });
});

describe("AsmClient.events: WebSocket auth", () => {
  it("sends a stream token as ?token=, never the key, when told to (browsers, Workers), with an injected constructor", async () => {
    const { WebSocket } = await import("ws");
    server = await startLogServer(SESSION, 2);
    server.append(range(1, 3).map(() => ({ type: "message_streamed" as const })));
    const urls: string[] = [];
    class Recording extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        urls.push(url);
      }
    }
    const client = new AsmClient({ baseUrl: `${server.url}/v1/`, apiKey: server.apiKey, WebSocket: Recording, wsAuth: "query" });
    const seen = await collect(client.events(SESSION, { ...FAST, transport: "websocket", from: 2 }), (s) => s.length === 2);
    expect(seqs(seen)).toEqual([2, 3]);
    expect(urls).toHaveLength(1);
    const url = new URL(urls[0]!);
    expect(url.protocol).toBe("ws:");
    expect(url.pathname).toBe(`/v1/sessions/${SESSION}/ws`);
    expect(url.searchParams.get("from_sequence")).toBe("2");
    expect(url.searchParams.get("api_key")).toBeNull();
    expect(url.searchParams.get("token")).toBe(`stream-token-for-${SESSION}`);
    expect(url.toString()).not.toContain(server.apiKey);
  });
});

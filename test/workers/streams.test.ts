import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import { api, appendEvents, createSession, KEY_B, note } from "./helpers";

/** Opens the session WebSocket through the Worker and collects parsed events. */
async function openSocket(sessionId: string, query: string, key = "test_key_a") {
  const res = await api(`/v1/sessions/${sessionId}/ws?${query}`, { headers: { upgrade: "websocket" }, key });
  const ws = res.webSocket;
  if (!ws) throw new Error(`no websocket: ${res.status} ${await res.text()}`);
  const received: Event[] = [];
  const waiters: (() => void)[] = [];
  ws.accept();
  ws.addEventListener("message", (m) => {
    if (m.data === "pong") return;
    received.push(JSON.parse(m.data as string) as Event);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (pred: () => boolean, ms = 3000) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out with ${received.length} events`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return { ws, received, until };
}

/** Reads an SSE response until `count` events have arrived, then cancels it. */
async function readSse(res: Response, count: number): Promise<{ ids: number[]; events: Event[]; sawHeartbeat: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const ids: number[] = [];
  const events: Event[] = [];
  let sawHeartbeat = false;
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let idx: number;
    while ((idx = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      if (frame.startsWith(":")) {
        sawHeartbeat = true;
        continue;
      }
      const id = frame.match(/^id: (\d+)$/m)?.[1];
      const data = frame.match(/^data: (.*)$/m)?.[1];
      if (id && data) {
        ids.push(Number(id));
        events.push(JSON.parse(data) as Event);
      }
    }
  }
  await reader.cancel();
  return { ids, events, sawHeartbeat };
}

describe("WebSocket", () => {
  it("replays from the cursor, follows live, and a reconnect from last+1 misses nothing and repeats nothing", async () => {
    const s = await createSession();
    await appendEvents(
      s.id,
      Array.from({ length: 9 }, (_, i) => note(`before ${i}`)),
    );
    const first = await openSocket(s.id, "from_sequence=3");
    await first.until(() => first.received.length >= 8);
    const live = appendEvents(
      s.id,
      Array.from({ length: 5 }, (_, i) => note(`live ${i}`)),
    );
    await live;
    await first.until(() => first.received.length >= 13);
    first.ws.close(1000, "test disconnect");
    const lastSeen = first.received[first.received.length - 1]!.sequence;
    // Events appended while nobody is connected.
    await appendEvents(
      s.id,
      Array.from({ length: 4 }, (_, i) => note(`offline ${i}`)),
    );
    const second = await openSocket(s.id, `from_sequence=${lastSeen + 1}`);
    const more = appendEvents(s.id, [note("after reconnect")]);
    await more;
    await second.until(() => second.received.length >= 5);
    const all = [...first.received, ...second.received].map((e) => e.sequence);
    // session_created + 9 + 5 live + 4 offline + 1 = sequences 1..20; the socket started at 3.
    expect(all).toEqual(Array.from({ length: 18 }, (_, i) => i + 3));
    second.ws.close();
  });

  it("delivers to concurrent appends exactly once and in order, with run and type filters", async () => {
    const s = await createSession();
    const sock = await openSocket(s.id, "from_sequence=1&types=message_streamed&run_id=run_x");
    const all = await openSocket(s.id, "from_sequence=1");
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        appendEvents(s.id, [
          { type: "message_streamed", run_id: i % 2 ? "run_x" : "run_y", data: { content: `${i}`, delta: `${i}` } },
          note(`n${i}`),
        ]),
      ),
    );
    await all.until(() => all.received.length >= 21);
    await sock.until(() => sock.received.length >= 5);
    expect(all.received.map((e) => e.sequence)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(sock.received.every((e) => e.type === "message_streamed" && e.run_id === "run_x")).toBe(true);
    const seqs = sock.received.map((e) => e.sequence);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    sock.ws.close();
    all.ws.close();
  });

  it("a sparse filter never runs out of flow-control credit: matches far apart still arrive without acks", async () => {
    const s = await createSession();
    const sock = await openSocket(s.id, "from_sequence=1&types=message_streamed");
    // Two matches 450 sequences apart, more than twice the window (200 in tests), and the client never acks.
    await appendEvents(s.id, [{ type: "message_streamed", data: { content: "a", delta: "a" } }]);
    for (let i = 0; i < 3; i++)
      await appendEvents(
        s.id,
        Array.from({ length: 150 }, (_, j) => note(`gap ${i}-${j}`)),
      );
    await sock.until(() => sock.received.length >= 1);
    sock.ws.send(JSON.stringify({ type: "ack", sequence: sock.received[0]!.sequence }));
    await appendEvents(s.id, [{ type: "message_streamed", data: { content: "b", delta: "b" } }]);
    await sock.until(() => sock.received.length >= 2);
    expect(sock.received.map((e) => e.sequence)).toEqual([2, 453]);
    sock.ws.close();
  });

  it("ignores malformed frames and clamps an ack from the future: it cannot buy credit for unsent events", async () => {
    const s = await createSession();
    const sock = await openSocket(s.id, "from_sequence=1");
    await sock.until(() => sock.received.length >= 1);
    for (const frame of [
      "{",
      "[]",
      '{"type":"ack"}',
      '{"type":"ack","sequence":-1}',
      '{"type":"ack","sequence":"9"}',
      new Uint8Array([1, 2]),
    ])
      sock.ws.send(frame);
    sock.ws.send(JSON.stringify({ type: "ack", sequence: 1_000_000 }));
    for (let i = 0; i < 5; i++)
      await appendEvents(
        s.id,
        Array.from({ length: 50 }, (_, j) => note(`n ${i}-${j}`)),
      );
    // The ack counted only up to sequence 1 (all it had been sent): the window (200 in tests) ends at 201.
    await sock.until(() => sock.received.length >= 201);
    await new Promise((r) => setTimeout(r, 50));
    expect(sock.received.map((e) => e.sequence)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    // A real ack opens the rest.
    sock.ws.send(JSON.stringify({ type: "ack", sequence: 201 }));
    await sock.until(() => sock.received.length >= 251);
    expect(sock.received.at(-1)!.sequence).toBe(251);
    sock.ws.close();
  });

  it("answers ping with pong and refuses upgrades without auth or a WebSocket header", async () => {
    const s = await createSession();
    const sock = await openSocket(s.id, "from_sequence=1");
    const pong = new Promise<string>((resolve) => sock.ws.addEventListener("message", (m) => m.data === "pong" && resolve(m.data)));
    sock.ws.send("ping");
    expect(await pong).toBe("pong");
    sock.ws.close();
    const noAuth = await api(`/v1/sessions/${s.id}/ws`, { headers: { upgrade: "websocket" }, key: null });
    expect(noAuth.status).toBe(401);
    expect(noAuth.webSocket).toBeFalsy();
    const otherTenant = await api(`/v1/sessions/${s.id}/ws`, { headers: { upgrade: "websocket" }, key: KEY_B });
    expect(otherTenant.status).toBe(404);
    const notUpgrade = await api(`/v1/sessions/${s.id}/ws`);
    expect(notUpgrade.status).toBe(426);
    expect(notUpgrade.headers.get("upgrade")).toBe("websocket");
  });
});

describe("Server-Sent Events", () => {
  it("streams with id = sequence, resumes from Last-Event-ID, and sends heartbeats", async () => {
    const s = await createSession();
    await appendEvents(
      s.id,
      Array.from({ length: 4 }, (_, i) => note(`e${i}`)),
    );
    const res = await api(`/v1/sessions/${s.id}/events`, { headers: { accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const livePush = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      await appendEvents(s.id, [note("live 1"), note("live 2")]);
    })();
    const first = await readSse(res, 7);
    await livePush;
    expect(first.ids).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(first.events.map((e) => e.sequence)).toEqual(first.ids);
    expect(first.sawHeartbeat).toBe(true);
    await appendEvents(s.id, [note("while away")]);
    const resumed = await api(`/v1/sessions/${s.id}/events`, { headers: { accept: "text/event-stream", "last-event-id": "7" } });
    const second = await readSse(resumed, 1);
    expect(second.ids).toEqual([8]);
  });
});

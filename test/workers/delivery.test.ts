import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event, EventInput } from "../../src/core/event";
import { api, appendEvents, createSession, note } from "./helpers";
import { ATTACHMENT_SAVE_DELAY_MS, SAVE_TIMER_GAP_MS, type SocketCursor } from "../../src/session/subscribers";
import { untilAttachmentsSaved } from "./support/attachments";
import { testSessions, type TestSessionDO as SessionDO } from "./support/test-session-do";

const sessions = testSessions(env);

/**
 * A session subscriber through the Worker, as the typed client behaves: it acks every `ackEvery` events
 * (0: never, a stuck reader) and, if dropped as a slow consumer (4008), reconnects from its last sequence + 1.
 */
async function openSocket(sessionId: string, ackEvery: number, resume = ackEvery > 0) {
  const received: number[] = [];
  const sockets: WebSocket[] = [];
  let closedWith: number | null = null;
  const connect = async (from: number): Promise<void> => {
    const res = await api(`/v1/sessions/${sessionId}/ws?from_sequence=${from}`, { headers: { upgrade: "websocket" } });
    const ws = res.webSocket;
    if (!ws) throw new Error(`no websocket: ${res.status} ${await res.text()}`);
    sockets.push(ws);
    ws.accept();
    ws.addEventListener("message", (m) => {
      if (m.data === "pong") return;
      const event = JSON.parse(m.data as string) as Event;
      received.push(event.sequence);
      if (ackEvery > 0 && received.length % ackEvery === 0) ws.send(JSON.stringify({ type: "ack", sequence: event.sequence }));
    });
    ws.addEventListener("close", (e) => {
      closedWith = e.code;
      if (resume && e.code === 4008) void connect((received.at(-1) ?? from - 1) + 1);
    });
  };
  await connect(1);
  return { received, closedWith: () => closedWith, close: () => sockets.forEach((ws) => ws.close()) };
}

async function until(pred: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const stubFor = (sessionId: string) => sessions.get(sessions.idFromName(`tenant_a:${sessionId}`));

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("delivery after the answer", () => {
  it("an append returns before any subscriber is sent its events; they follow right after", async () => {
    const s = await createSession();
    const socks = await Promise.all(Array.from({ length: 3 }, () => openSocket(s.id, 16)));
    await until(
      () => socks.every((k) => k.received.length === 1),
      () => "session_created on every socket",
    );
    // 3 sockets × 100 events is past the small-pass size (256 frames): the pass waits for the next turn.
    const batch = Array.from({ length: 100 }, (_, i) => note(`e${i}`)) as EventInput[];
    await runInDurableObject(stubFor(s.id), async (instance: SessionDO, state) => {
      const cursors = () => state.getWebSockets().map((ws) => instance.subscribersForTests.cursorOf(ws)?.next);
      expect(cursors()).toEqual([2, 2, 2]);
      const answer = await instance.appendEvents(batch);
      expect(answer.ok).toBe(true);
      // The answer exists and no socket has been sent anything yet.
      expect(cursors()).toEqual([2, 2, 2]);
      await new Promise((r) => setTimeout(r, 50));
      expect(cursors()).toEqual([102, 102, 102]);
    });
    await until(
      () => socks.every((k) => k.received.length === 101),
      () => "the batch on every socket",
    );
    for (const k of socks) {
      expect(k.received).toEqual(range(1, 101));
      k.close();
    }
  });

  it("subscribers that never ack neither hold up appends nor disturb the others: each gets its window, the rest everything once, in order", async () => {
    const s = await createSession();
    // The test window is 200 (SUBSCRIBER_MAX_QUEUED); 30 readers ack as the client does, 10 never ack.
    const readers = await Promise.all(Array.from({ length: 30 }, () => openSocket(s.id, 16)));
    const stuck = await Promise.all(Array.from({ length: 10 }, () => openSocket(s.id, 0)));
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        appendEvents(
          s.id,
          Array.from({ length: 10 }, (_, j) => note(`${i}-${j}`)),
        ),
      ),
    );
    const sequences = answers
      .flat()
      .map((e) => e.sequence)
      .sort((a, b) => a - b);
    expect(sequences).toEqual(range(2, 301));
    await until(
      () => readers.every((k) => k.received.length === 301),
      () => `readers at ${readers.map((k) => k.received.length)}`,
    );
    await until(
      () => stuck.every((k) => k.received.length === 200),
      () => `stuck at ${stuck.map((k) => k.received.length)}`,
    );
    await new Promise((r) => setTimeout(r, 50));
    for (const k of readers) expect(k.received).toEqual(range(1, 301));
    // A stuck reader gets exactly its window, in order, never more, and is then dropped as a slow consumer.
    for (const k of stuck) expect(k.received).toEqual(range(1, 200));
    await until(
      () => stuck.every((k) => k.closedWith() === 4008),
      () => "stuck readers dropped with 4008",
    );
    for (const k of [...readers, ...stuck]) k.close();
  });

  it("200 concurrent single-event appends all answer 201 with gap-free sequences, and every socket sees each once", async () => {
    const s = await createSession();
    const socks = await Promise.all(Array.from({ length: 10 }, () => openSocket(s.id, 16)));
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note(`burst ${i}`)] } })),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 201));
    const events = (await Promise.all(responses.map(async (r) => ((await r.json()) as { events: Event[] }).events))).flat();
    expect(events.map((e) => e.sequence).sort((a, b) => a - b)).toEqual(range(2, 201));
    await until(
      () => socks.every((k) => k.received.length === 201),
      () => `sockets at ${socks.map((k) => k.received.length)}`,
    );
    for (const k of socks) {
      expect(k.received).toEqual(range(1, 201));
      k.close();
    }
  });

  it("a subscriber behind the in-memory head catches up from storage, then follows live without a seam", async () => {
    const s = await createSession();
    await appendEvents(
      s.id,
      Array.from({ length: 120 }, (_, i) => note(`old ${i}`)),
    );
    // A fresh instance has nothing in memory: this replay reads storage, the live part comes from shared frames.
    const late = await openSocket(s.id, 16);
    const live = appendEvents(
      s.id,
      Array.from({ length: 30 }, (_, i) => note(`new ${i}`)),
    );
    await live;
    await until(
      () => late.received.length === 151,
      () => `late at ${late.received.length}`,
    );
    expect(late.received).toEqual(range(1, 151));
    late.close();
  });
  it("after a hibernation wake each socket resumes from its own cursor and ack state: nothing lost or repeated", async () => {
    const s = await createSession();
    const readers = await Promise.all(Array.from({ length: 3 }, () => openSocket(s.id, 16)));
    const stuck = await openSocket(s.id, 0);
    await appendEvents(
      s.id,
      Array.from({ length: 150 }, (_, i) => note(`before ${i}`)),
    );
    await until(
      () => [...readers, stuck].every((k) => k.received.length === 151),
      () => "151 on every socket",
    );
    await runInDurableObject(stubFor(s.id), async (_instance: SessionDO, state) => {
      // Cursors are kept per socket object in memory: that needs one object per socket for the instance's life.
      const [a, b] = [state.getWebSockets(), state.getWebSockets()];
      expect(a.every((ws, i) => ws === b[i])).toBe(true);
    });
    // The new instance knows nothing in memory: each cursor comes back from its socket's attachment.
    await untilAttachmentsSaved(stubFor(s.id));
    await evictDurableObject(stubFor(s.id));
    await appendEvents(
      s.id,
      Array.from({ length: 100 }, (_, i) => note(`after ${i}`)),
    );
    await until(
      () => readers.every((k) => k.received.length === 251),
      () => `readers at ${readers.map((k) => k.received.length)}`,
    );
    await until(
      () => stuck.received.length === 200,
      () => `stuck at ${stuck.received.length}`,
    );
    await new Promise((r) => setTimeout(r, 50));
    for (const k of readers) expect(k.received).toEqual(range(1, 251));
    // The reader that never acked still gets exactly its window (200 in tests): its ack state survived too.
    expect(stuck.received).toEqual(range(1, 200));
    for (const k of [...readers, stuck]) k.close();
  });
});

describe("socket attachments", () => {
  it("are written within the save delay, not at every send: a lagging attachment always has a write pending", async () => {
    const s = await createSession();
    const readers = await Promise.all(Array.from({ length: 3 }, () => openSocket(s.id, 16)));
    const attachmentsBehind = async () =>
      runInDurableObject(stubFor(s.id), (instance: SessionDO, state) =>
        state.getWebSockets().map((ws) => {
          const memory = instance.subscribersForTests.cursorOf(ws);
          const stored = ws.deserializeAttachment() as SocketCursor;
          return {
            pending: instance.subscribersForTests.isUnsaved(ws),
            equal: JSON.stringify(memory) === JSON.stringify(stored),
            next: memory?.next,
          };
        }),
      );
    for (let round = 0; round < 5; round++) {
      await appendEvents(s.id, [note(`r${round}`)]);
      // Whatever the timing: where the attachment differs from the cursor in memory, a write is pending.
      for (const socket of await attachmentsBehind()) if (!socket.equal) expect(socket.pending).toBe(true);
    }
    await until(
      () => readers.every((k) => k.received.length === 6),
      () => "6 on every socket",
    );
    const started = Date.now();
    await untilAttachmentsSaved(stubFor(s.id));
    // Written by the delay's timer (it never fires early), and then every attachment matches its cursor.
    expect(Date.now() - started).toBeLessThan(10_000 + ATTACHMENT_SAVE_DELAY_MS);
    const after = await attachmentsBehind();
    expect(after.map((x) => x.equal)).toEqual([true, true, true]);
    expect(after.map((x) => x.next)).toEqual([7, 7, 7]);
    for (const k of readers) k.close();
  });
});

describe("socket attachment writes in a steady stream", () => {
  it("are spread over the passes: no socket's attachment is written twice within half the save delay", async () => {
    const s = await createSession();
    const readers = await Promise.all(Array.from({ length: 4 }, () => openSocket(s.id, 16)));
    const writes = await runInDurableObject(stubFor(s.id), async (instance: SessionDO, state) => {
      // Each socket's writes, timed: workerd hands out one object per socket for the life of the instance.
      const times = state.getWebSockets().map((ws) => {
        const at: number[] = [];
        const write = ws.serializeAttachment.bind(ws);
        ws.serializeAttachment = (value: unknown) => {
          at.push(Date.now());
          write(value);
        };
        return at;
      });
      // A stream that moves every cursor about every 40 ms for three save delays.
      const until = Date.now() + 3 * ATTACHMENT_SAVE_DELAY_MS;
      for (let i = 0; Date.now() < until; i++) {
        await instance.appendEvents([note(`steady ${i}`)] as EventInput[]);
        await new Promise((r) => setTimeout(r, 40));
      }
      return times;
    });
    for (const at of writes) {
      // Writes happen (the cursors moved for 1.5 s) but a pass and the timer never write the same socket twice in a row.
      expect(at.length).toBeGreaterThanOrEqual(2);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(ATTACHMENT_SAVE_DELAY_MS / 2);
    }
    for (const k of readers) k.close();
  });
});

describe("the attachment save timer", () => {
  it("comes back no sooner than its gap, however many sockets fall due in between", async () => {
    const s = await createSession();
    // Twenty sockets written about every 300 ms fall due a few every 20 ms: re-armed for the next one due, the old
    // timer came back for each of them (at 1,000 sockets, thousands of runs a second, each looking at every socket).
    const readers = await Promise.all(Array.from({ length: 20 }, () => openSocket(s.id, 16)));
    const { runs, elapsed } = await runInDurableObject(stubFor(s.id), async (instance: SessionDO) => {
      const before = instance.subscribersForTests.saveTimerRuns;
      const started = Date.now();
      const until = started + 3 * ATTACHMENT_SAVE_DELAY_MS;
      for (let i = 0; Date.now() < until; i++) {
        await instance.appendEvents([note(`steady ${i}`)] as EventInput[]);
        await new Promise((r) => setTimeout(r, 10));
      }
      return { runs: instance.subscribersForTests.saveTimerRuns - before, elapsed: Date.now() - started };
    });
    expect(runs).toBeGreaterThan(0);
    // One run may be armed before the stream's first gap (by a socket already due soon), then one per gap at most.
    expect(runs).toBeLessThanOrEqual(Math.floor(elapsed / SAVE_TIMER_GAP_MS) + 2);
    await untilAttachmentsSaved(stubFor(s.id));
    for (const k of readers) k.close();
  });
});

describe("storage rows", () => {
  it("counts rows written in the DO and in D1, and an event outside a run writes no run-index row", async () => {
    const s = await createSession();
    const stub = stubFor(s.id);
    await stub.flushNow();
    const before = (await stub.stats()).storage;
    await appendEvents(
      s.id,
      Array.from({ length: 100 }, (_, i) => note(`row ${i}`)),
    );
    await stub.flushNow();
    const after = (await stub.stats()).storage;
    const doRows = after.do_rows_written - before.do_rows_written;
    const d1Rows = after.d1_rows_written - before.d1_rows_written;
    // Per event in the DO: the row and its id index entry (no type index, no run index for run-less events);
    // plus a handful of bookkeeping rows (flush cursor, alarm deadlines) per append and per flush.
    expect(doRows).toBeGreaterThanOrEqual(200);
    expect(doRows).toBeLessThan(220);
    expect(d1Rows).toBeGreaterThanOrEqual(100);
    await runInDurableObject(stub, (_instance: SessionDO, state) => {
      const indexes = state.storage.sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`)
        .toArray()
        .map((r) => r.name)
        .sort();
      expect(indexes).toEqual(["events_run_seq", "sqlite_autoindex_events_1"]);
    });
  });

  it("an object created with the old indexes drops them in place and keeps every event readable", async () => {
    const s = await createSession();
    await appendEvents(s.id, [{ type: "message_sent", run_id: "run_old", data: { role: "user", content: "kept" } }]);
    const stub = stubFor(s.id);
    await runInDurableObject(stub, (_instance: SessionDO, state) => {
      // What an older build left behind: its indexes, and no schema version (builds before versioned storage).
      state.storage.sql.exec(`DELETE FROM storage_meta WHERE key = 'schema_version'`);
      state.storage.sql.exec(`DROP INDEX IF EXISTS events_run_seq`);
      state.storage.sql.exec(`CREATE INDEX events_run ON events(run_id, sequence)`);
      state.storage.sql.exec(`CREATE INDEX events_type ON events(type, sequence)`);
    });
    // A new instance runs the migration in its constructor.
    await evictDurableObject(stub);
    const page = (await (await api(`/v1/sessions/${s.id}/events?run_id=run_old`)).json()) as { events: Event[] };
    expect(page.events.map((e) => e.data.content)).toEqual(["kept"]);
    await runInDurableObject(stub, (_instance: SessionDO, state) => {
      const indexes = state.storage.sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`)
        .toArray()
        .map((r) => r.name)
        .sort();
      expect(indexes).toEqual(["events_run_seq", "sqlite_autoindex_events_1"]);
    });
  });
});

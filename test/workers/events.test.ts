import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testSessions, type TestSessionDO as SessionDO } from "./support/test-session-do";
import { loadConfig } from "../../src/core/config";
import type { EventInput } from "../../src/core/event";
import { D1SessionStore } from "../../src/store/session-store";
import { api, appendEvents, createSession, json, note, readEvents } from "./helpers";

const sessions = testSessions(env);

function stubFor(tenant: string, sessionId: string) {
  return sessions.get(sessions.idFromName(`${tenant}:${sessionId}`));
}

async function waitForD1(sessionId: string, count: number, tenant = "tenant_a"): Promise<number> {
  const store = new D1SessionStore(env.DB);
  for (let i = 0; i < 200; i++) {
    const n = await store.countEvents(tenant, sessionId);
    if (n >= count) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
  return store.countEvents(tenant, sessionId);
}

describe("event log", () => {
  it("gives 200 events from 20 concurrent callers the sequences 2..201 with no gap, and D1 gets all of them", async () => {
    const s = await createSession();
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, caller) =>
        Promise.all(Array.from({ length: 10 }, (_, i) => appendEvents(s.id, [note(`c${caller}-${i}`)]))),
      ),
    );
    const seqs = batches
      .flat(2)
      .map((e) => e.sequence)
      .sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    const all: number[] = [];
    let after = 0;
    for (;;) {
      const page = await readEvents(s.id, `after=${after}&limit=64`);
      all.push(...page.events.map((e) => e.sequence));
      if (page.next_after === null) break;
      after = page.next_after;
    }
    expect(all).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    expect(await waitForD1(s.id, 201)).toBe(201);
    const d1 = await new D1SessionStore(env.DB).getEvents("tenant_a", s.id, 0, 1000);
    expect(d1.map((e) => e.sequence)).toEqual(all);
    expect(new Set(d1.map((e) => e.id)).size).toBe(201);
  });

  it("is idempotent on event id: a repeated id returns the stored event and uses no new number", async () => {
    const s = await createSession();
    const [first] = await appendEvents(s.id, [{ id: "client-evt-1", ...note("x") }]);
    const again = await appendEvents(s.id, [{ id: "client-evt-1", ...note("different") }, note("y")]);
    expect(again[0]).toEqual(first);
    expect(again[1]!.sequence).toBe(first!.sequence + 1);
  });

  it("applies after, before, limit, run_id and type filters in order", async () => {
    const s = await createSession();
    await appendEvents(s.id, [
      { type: "run_started", run_id: "run_a", data: {} },
      { type: "message_streamed", run_id: "run_a", data: { content: "he", delta: "he" } },
      { type: "message_streamed", run_id: "run_b", data: { content: "x", delta: "x" } },
      { type: "message_received", run_id: "run_a", data: { content: "hello", role: "assistant" } },
      { type: "run_completed", run_id: "run_a", data: { stop_reason: "end_turn" } },
    ]);
    const afterTwo = await readEvents(s.id, "after=2");
    expect(afterTwo.events.map((e) => e.sequence)).toEqual([3, 4, 5, 6]);
    const before = await readEvents(s.id, "before=3");
    expect(before.events.map((e) => e.sequence)).toEqual([1, 2]);
    const limited = await readEvents(s.id, "limit=2");
    expect(limited.events.map((e) => e.sequence)).toEqual([1, 2]);
    expect(limited.next_after).toBe(2);
    const runA = await readEvents(s.id, "run_id=run_a");
    expect(runA.events.map((e) => e.sequence)).toEqual([2, 3, 5, 6]);
    const streamed = await readEvents(s.id, "type=message_streamed");
    expect(streamed.events.map((e) => e.run_id)).toEqual(["run_a", "run_b"]);
    const combined = await readEvents(s.id, "run_id=run_a&type=message_streamed,run_completed&after=3");
    expect(combined.events.map((e) => e.sequence)).toEqual([6]);
    expect(combined.latest_sequence).toBe(6);
    expect(combined.next_after).toBeNull();
  });

  it("rejects invalid cursors and filters with structured 400s", async () => {
    const s = await createSession();
    for (const q of ["after=-1", "after=abc", "limit=0", "limit=100000", "before=0", "type=nope", "wait_ms=999999"]) {
      const res = await api(`/v1/sessions/${s.id}/events?${q}`);
      expect(res.status, q).toBe(400);
      const body = await json<{ error: { code: string; message: string; details: object } }>(res);
      expect(["validation_error", "invalid_event_type"]).toContain(body.error.code);
      expect(body.error.message.length).toBeGreaterThan(0);
    }
  });

  it("long-poll returns soon after an append made while it waits", async () => {
    const s = await createSession();
    const started = Date.now();
    const poll = readEvents(s.id, "after=1&wait_ms=5000");
    await new Promise((r) => setTimeout(r, 150));
    const appendedAt = Date.now();
    await appendEvents(s.id, [note("wake")]);
    const page = await poll;
    const returnedAt = Date.now();
    expect(page.events.map((e) => e.sequence)).toEqual([2]);
    // Woken by the append, not by its 5 s deadline (no speed claim: a busy machine may take a while).
    expect(returnedAt - started).toBeLessThan(4_500);
    expect(returnedAt - started).toBeGreaterThanOrEqual(150);
    expect(returnedAt).toBeGreaterThanOrEqual(appendedAt);
  });

  it("long-poll returns empty at its deadline, and ignores events its filter does not match", async () => {
    const s = await createSession();
    const started = Date.now();
    const poll = readEvents(s.id, "after=1&wait_ms=300&type=run_completed");
    await appendEvents(s.id, [note("not this one")]);
    const page = await poll;
    expect(page.events).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(page.latest_sequence).toBe(2);
  });

  it("keeps every event readable while D1 fails, and D1 catches up once it recovers", async () => {
    const s = await createSession();
    const stub = stubFor("tenant_a", s.id);
    let failing = true;
    let attempts = 0;
    await runInDurableObject(stub, (instance: SessionDO) => {
      const real = instance.flusherForTests.store;
      const flaky = Object.create(real) as D1SessionStore;
      flaky.flush = async (batch) => {
        attempts++;
        if (failing) throw new Error("D1 unavailable (injected)");
        return real.flush(batch);
      };
      instance.flusherForTests.store = flaky;
    });
    await appendEvents(
      s.id,
      Array.from({ length: 30 }, (_, i) => note(`during outage ${i}`)),
    );
    const page = await readEvents(s.id, "limit=1000");
    expect(page.events.map((e) => e.sequence)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toBeGreaterThan(1);
    const stats = await stub.stats();
    expect(stats.consecutive_failures).toBeGreaterThan(0);
    expect(stats.flushed_through).toBe(1);
    expect(await new D1SessionStore(env.DB).countEvents("tenant_a", s.id)).toBe(1);
    failing = false;
    expect(await waitForD1(s.id, 31)).toBe(31);
    const after = await stub.stats();
    expect(after.flushed_through).toBe(31);
    expect(after.consecutive_failures).toBe(0);
  });
});

/** The flush deadline in the object's alarm table (alarms.ts), if one is set. */
function flushDeadlineIn(state: DurableObjectState): number | undefined {
  const row = state.storage.sql.exec("SELECT value FROM kv WHERE key = 'alarm_deadlines'").toArray()[0];
  return row ? (JSON.parse(String(row.value)) as Record<string, number>).flush : undefined;
}

describe("flush scheduling", () => {
  it("a stream arms the flush alarm once, at the lag bound, and the pause after it is flushed by a timer", async () => {
    const s = await createSession();
    const stub = stubFor("tenant_a", s.id);
    await stub.flushNow();
    const maxLag = loadConfig(env as unknown as Record<string, unknown>).flushMaxLagMs;
    const flushDeadline = () => runInDurableObject(stub, (_instance: SessionDO, state) => flushDeadlineIn(state));
    // Session creation was flushed eagerly: the deadline its event armed is dropped once the timer sees that.
    for (let i = 0; i < 250 && (await flushDeadline()) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await flushDeadline()).toBeUndefined();
    const seen = await runInDurableObject(stub, async (instance: SessionDO, state) => {
      const started = Date.now();
      const deadlines: (number | undefined)[] = [];
      for (let i = 0; i < 20; i++) {
        await instance.appendEvents([note(`stream ${i}`)] as EventInput[]);
        // Read in the same turn as the append returned: what the append armed.
        deadlines.push(flushDeadlineIn(state));
      }
      return { started, deadlines };
    });
    // Every append after the first since a flush keeps the deadline it found; none pulls it to the flush delay
    // (the old rule re-armed the alarm every FLUSH_DELAY_MS while a stream lasted).
    const armed = seen.deadlines.filter((d): d is number => d !== undefined);
    expect(armed.length).toBeGreaterThan(0);
    for (const d of armed) expect(d).toBeGreaterThanOrEqual(seen.started + maxLag);
    // The stream paused: it reaches D1, and no deadline is left behind for the alarm.
    expect(await waitForD1(s.id, 21)).toBe(21);
    for (let i = 0; i < 250 && (await flushDeadline()) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await flushDeadline()).toBeUndefined();
  });
});

describe("flush batches", () => {
  it("a flush of several batches lets the event loop turn between them, so waiting requests are not held for all of it", async () => {
    const s = await createSession();
    const stub = stubFor("tenant_a", s.id);
    await stub.flushNow();
    const batch = loadConfig(env as unknown as Record<string, unknown>).flushBatchSize;
    const seen = await runInDurableObject(stub, async (instance: SessionDO) => {
      // Three batches' worth, appended in one turn so no timer of ours can flush them first.
      for (let i = 0; i < 3; i++) {
        await instance.appendEvents(Array.from({ length: batch }, (_, j) => note(`b${i}-${j}`)) as EventInput[]);
      }
      const flusher = instance.flusherForTests;
      const real = flusher.store;
      const recording = Object.create(real) as D1SessionStore;
      const rowMoves: (number | null)[] = [];
      recording.flush = async (b) => {
        rowMoves.push(b.lastSequence ?? null);
        return real.flush(b);
      };
      flusher.store = recording;
      const before = instance.flusherForTests.d1Flushes;
      let flushesWhenTimerRan: number | null = null;
      // A timer stands for anything else waiting on this thread (a request, a socket message).
      setTimeout(() => {
        flushesWhenTimerRan = instance.flusherForTests.d1Flushes - before;
      }, 0);
      await instance.flusherForTests.flushAll();
      flusher.store = real;
      return { flushesWhenTimerRan, flushes: instance.flusherForTests.d1Flushes - before, rowMoves: [...rowMoves] };
    });
    expect(seen.flushes).toBe(3);
    // The session row's last_sequence is moved once per flush, by the batch that completes it, not once per batch.
    expect(seen.rowMoves).toEqual([null, null, 1 + 3 * batch]);
    // Without a turn between batches, local D1's answers chain on without the loop ever reaching its timers.
    expect(seen.flushesWhenTimerRan).not.toBeNull();
    expect(seen.flushesWhenTimerRan!).toBeLessThan(seen.flushes);
    expect(await waitForD1(s.id, 1 + 3 * batch)).toBe(1 + 3 * batch);
  });
});

describe("flush bounds", () => {
  it("a flush copies what was appended before it began; an append landing meanwhile waits for its own flush", async () => {
    const s = await createSession();
    const stub = stubFor("tenant_a", s.id);
    await stub.flushNow();
    // No deadline left from session creation: no alarm of its own may flush during the one under test.
    const deadline = () => runInDurableObject(stub, (_instance: SessionDO, state) => flushDeadlineIn(state));
    for (let i = 0; i < 250 && (await deadline()) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await deadline()).toBeUndefined();
    const seen = await runInDurableObject(stub, async (instance: SessionDO) => {
      const flusher = instance.flusherForTests;
      // The test env's 5 ms quiet delay would let a timer's flush start right after ours and look like a chase:
      // with a long one, only the lag bound's alarm (2 s) flushes what lands meanwhile.
      const config = (flusher as unknown as { config: { flushDelayMs: number } }).config;
      const quiet = config.flushDelayMs;
      config.flushDelayMs = 60_000;
      const real = flusher.store;
      const during = Object.create(real) as D1SessionStore;
      const batches: number[][] = [];
      // The flush's first D1 batch lets one more append land, as a live stream does.
      during.flush = async (batch) => {
        batches.push(batch.events.map((e) => e.sequence));
        const rows = await real.flush(batch);
        if (batches.length === 1) await instance.appendEvents([note("landed during the flush")] as EventInput[]);
        return rows;
      };
      flusher.store = during;
      try {
        await instance.appendEvents([note("before the flush")] as EventInput[]);
        const through = (await instance.stats()).last_sequence;
        await flusher.flushAll();
        return { through, batches: [...batches], flushedThrough: flusher.flushedThrough };
      } finally {
        flusher.store = real;
        config.flushDelayMs = quiet;
      }
    });
    // The old loop flushed the event that landed during its first batch in a second one: [[n], [n + 1]].
    expect(seen.batches).toEqual([[seen.through]]);
    expect(seen.flushedThrough).toBe(seen.through);
    // The event that landed meanwhile armed its own wait and reaches D1 without another call.
    expect(await waitForD1(s.id, seen.through + 1)).toBe(seen.through + 1);
  });
});

describe("schema versions", () => {
  it("stores schema_version on every event and refuses to read one newer than this build", async () => {
    const s = await createSession();
    const [stored] = await appendEvents(s.id, [note("v1")]);
    expect(stored!.schema_version).toBe(1);
    const tooNew = await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [{ ...note("v2"), schema_version: 2 }] } });
    expect(tooNew.status).toBe(400);
    // An event written by a newer build (simulated in storage) is a clear error, never misread.
    await runInDurableObject(stubFor("tenant_a", s.id), (_i, state) => {
      state.storage.sql.exec(`UPDATE events SET schema_version = 2 WHERE sequence = 2`);
    });
    const res = await api(`/v1/sessions/${s.id}/events`);
    expect(res.status).toBe(400);
    expect((await json<{ error: { code: string; details: { schema_version: number } } }>(res)).error).toMatchObject({
      code: "unsupported_schema_version",
      details: { schema_version: 2 },
    });
  });
});

describe("bad input", () => {
  it("rejects unknown event types without appending anything", async () => {
    const s = await createSession();
    const res = await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note("ok"), { type: "bogus" }] } });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { index: number } } }>(res);
    expect(body.error.code).toBe("invalid_event_type");
    expect(body.error.details.index).toBe(1);
    expect((await readEvents(s.id)).latest_sequence).toBe(1);
  });

  it("answers malformed JSON, wrong types, oversized payloads and unknown routes with clear 4xx", async () => {
    const s = await createSession();
    const malformed = await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect((await json<{ error: { code: string } }>(malformed)).error.code).toBe("invalid_format");

    const wrongType = await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      json: { events: [{ type: "message_sent", data: "text" }] },
    });
    expect(wrongType.status).toBe(400);
    expect(
      (await json<{ error: { code: string; details: { issues: unknown[] } } }>(wrongType)).error.details.issues.length,
    ).toBeGreaterThan(0);

    const bigEvent = await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note("x".repeat(300_000))] } });
    expect(bigEvent.status).toBe(413);
    expect((await json<{ error: { code: string } }>(bigEvent)).error.code).toBe("payload_too_large");

    const hugeBody = await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      body: "x".repeat(2_000_000),
      headers: { "content-type": "application/json" },
    });
    expect(hugeBody.status).toBe(413);

    const unknown = await api(`/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect((await json<{ error: { code: string } }>(unknown)).error.code).toBe("not_found");

    const noBody = await api(`/v1/sessions`, { method: "POST" });
    expect(noBody.status).toBe(400);
    expect((await readEvents(s.id)).latest_sequence).toBe(1);
  });
});

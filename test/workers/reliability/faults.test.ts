import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { untilAttachmentsSaved } from "../support/attachments";
import { testSessions, type TestSessionDO as SessionDO } from "../support/test-session-do";
import { D1SessionStore } from "../../../src/store/session-store";
import { api, appendEvents, createSession, note, readEvents } from "../helpers";
import { submitRun, untilEvent, waitRun } from "../runs-helpers";

const sessions = testSessions(env);

const stubOf = (sid: string) => sessions.get(sessions.idFromName(`tenant_a:${sid}`));
const fault = (sid: string, action: "kill" | "restore") => fetch(`${env.SANDBOX_URL}/_fault/${sid}/${action}`, { method: "POST" });

async function resetObject(sid: string): Promise<void> {
  await runInDurableObject(stubOf(sid), (_i, state) => {
    try {
      state.abort("reliability test reset");
    } catch {
      /* abort throws by design */
    }
  }).catch(() => undefined);
}

describe("faults", () => {
  it("a sandbox that dies mid-run fails the run with a clear error; the next run works once it is back", async () => {
    const s = await createSession();
    const run = await submitRun(s.id, { provider: "shell", input: "echo started; sleep 20" });
    await untilEvent(s.id, run.id, "message_streamed");
    await fault(s.id, "kill");
    const failed = await waitRun(s.id, run.id);
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("dependency_not_available");
    expect(failed.error?.message).toMatch(/sandbox/i);
    const whileDown = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo nope" })).id);
    expect(whileDown.status).toBe("failed");
    await fault(s.id, "restore");
    const after = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo back" })).id);
    expect(after.status).toBe("completed");
    expect(after.output?.content).toBe("back\n");
  });

  it("a Durable Object reset in the middle of a failing flush loses nothing: D1 is complete afterwards", async () => {
    const s = await createSession();
    await runInDurableObject(stubOf(s.id), (instance: SessionDO) => {
      instance.flusherForTests.store = Object.assign(Object.create(instance.flusherForTests.store) as D1SessionStore, {
        flush: async () => {
          throw new Error("D1 down (injected)");
        },
      });
    });
    await appendEvents(
      s.id,
      Array.from({ length: 40 }, (_, i) => note(`e${i}`)),
    );
    await resetObject(s.id);
    // A fresh instance has a real store again; its alarm (or this read) brings D1 up to date.
    const page = await readEvents(s.id, "limit=1000");
    expect(page.events.map((e) => e.sequence)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    await stubOf(s.id).flushNow();
    const d1 = await new D1SessionStore(env.DB).getEvents("tenant_a", s.id, 0, 1000);
    expect(d1.map((e) => e.sequence)).toEqual(page.events.map((e) => e.sequence));
  });

  it("hibernated WebSockets survive an eviction and keep their cursor: nothing lost or repeated", async () => {
    const s = await createSession();
    const res = await api(`/v1/sessions/${s.id}/ws?from_sequence=1`, { headers: { upgrade: "websocket" } });
    const ws = res.webSocket!;
    ws.accept();
    const seen: number[] = [];
    ws.addEventListener("message", (m) => {
      if (m.data !== "pong") seen.push((JSON.parse(m.data as string) as { sequence: number }).sequence);
    });
    await appendEvents(s.id, [note("a")]);
    await untilAttachmentsSaved(stubOf(s.id));
    await evictDurableObject(stubOf(s.id));
    let last = 0;
    const resumed: number[] = [];
    if (ws.readyState !== WebSocket.OPEN) {
      last = seen.at(-1) ?? 0;
      const again = (await api(`/v1/sessions/${s.id}/ws?from_sequence=${last + 1}`, { headers: { upgrade: "websocket" } })).webSocket!;
      again.accept();
      again.addEventListener("message", (m) => {
        if (m.data !== "pong") resumed.push((JSON.parse(m.data as string) as { sequence: number }).sequence);
      });
    }
    await appendEvents(s.id, [note("b"), note("c")]);
    const deadline = Date.now() + 3000;
    while ([...seen, ...resumed].length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect([...seen, ...resumed]).toEqual([1, 2, 3, 4]);
  });

  it("drops an SSE subscriber that stopped reading or went away (back-pressure), without disturbing the others", async () => {
    const s = await createSession();
    const gone = await api(`/v1/sessions/${s.id}/events`, { headers: { accept: "text/event-stream" } });
    const stay = await api(`/v1/sessions/${s.id}/events`, { headers: { accept: "text/event-stream" } });
    const goneReader = gone.body!.getReader();
    await goneReader.read();
    await goneReader.cancel();
    await appendEvents(s.id, [note("x")]);
    await appendEvents(s.id, [note("y")]);
    const reader = stay.body!.getReader();
    let text = "";
    while (!text.includes("id: 3")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain("id: 1");
    // More than SUBSCRIBER_MAX_QUEUED (200 in tests) frames pile up for the one nobody reads.
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
        if (text.includes("id: 303\n")) return;
      }
    })();
    for (let i = 0; i < 6; i++)
      await appendEvents(
        s.id,
        Array.from({ length: 50 }, (_, j) => note(`bulk ${i}-${j}`)),
      );
    await reading;
    // Heartbeats (100 ms in tests) keep checking; after the stall window (300 ms) the silent one is gone.
    const deadline = Date.now() + 3000;
    let open = 2;
    while (Date.now() < deadline && open !== 1) {
      await new Promise((r) => setTimeout(r, 100));
      open = (await stubOf(s.id).stats()).subscribers.sse;
    }
    expect(open).toBe(1);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 303 }, (_, i) => i + 1));
    await reader.cancel();
  });

  it("pauses a WebSocket that stops acking at its window and drops it with 4008, while an acking one gets everything once", async () => {
    const s = await createSession();
    const open = async (acking: boolean, from = 1) => {
      const ws = (await api(`/v1/sessions/${s.id}/ws?from_sequence=${from}`, { headers: { upgrade: "websocket" } })).webSocket!;
      ws.accept();
      const seen: number[] = [];
      const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
      ws.addEventListener("message", (m) => {
        if (m.data === "pong") return;
        seen.push((JSON.parse(m.data as string) as { sequence: number }).sequence);
        if (acking && seen.length % 25 === 0) ws.send(JSON.stringify({ type: "ack", sequence: seen.at(-1) }));
      });
      return { ws, seen, closed };
    };
    const silent = await open(false);
    const reader = await open(true);
    // 1 + 300 events: well past the window (SUBSCRIBER_MAX_QUEUED = 200 in tests) for the one that never acks.
    for (let i = 0; i < 6; i++)
      await appendEvents(
        s.id,
        Array.from({ length: 50 }, (_, j) => note(`bulk ${i}-${j}`)),
      );
    const code = await Promise.race([silent.closed, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
    expect(code).toBe(4008);
    // It was sent exactly its window and not one sequence more.
    expect(silent.seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const deadline = Date.now() + 3000;
    while (reader.seen.length < 301 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(reader.seen).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
    expect(reader.ws.readyState).toBe(WebSocket.OPEN);
    // The dropped one resumes exactly where it stopped.
    const again = await open(true, silent.seen.at(-1)! + 1);
    const until = Date.now() + 3000;
    while (again.seen.length < 101 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect([...silent.seen, ...again.seen]).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
    again.ws.close();
    reader.ws.close();
  });
});

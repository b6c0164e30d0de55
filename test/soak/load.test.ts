import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { D1SessionStore } from "../../src/store/session-store";
import { api, appendEvents, createSession, note } from "../workers/helpers";

const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 50);
const EVENTS = Number(process.env.SOAK_EVENTS ?? 2000);
const SUBSCRIBERS = 5;
const BATCH = 50;

/** Bounded load on loopback: every subscriber must see every sequence exactly once, and D1 must hold them all. */
describe("load", () => {
  it(`${SESSIONS} sessions × ${EVENTS} events with ${SUBSCRIBERS} subscribers each`, async () => {
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => createSession({ agent_id: "soak" })));
    const seen = new Map<string, number[][]>();
    const sockets: WebSocket[] = [];
    for (const s of sessions) {
      const lists: number[][] = [];
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const ws = (await api(`/v1/sessions/${s.id}/ws?from_sequence=1`, { headers: { upgrade: "websocket" } })).webSocket!;
        ws.accept();
        const list: number[] = [];
        ws.addEventListener("message", (m) => { if (m.data !== "pong") list.push((JSON.parse(m.data as string) as { sequence: number }).sequence); });
        lists.push(list);
        sockets.push(ws);
      }
      seen.set(s.id, lists);
    }
    const started = Date.now();
    await Promise.all(sessions.map(async (s) => {
      for (let sent = 0; sent < EVENTS; sent += BATCH) {
        await appendEvents(s.id, Array.from({ length: Math.min(BATCH, EVENTS - sent) }, (_, i) => note(`${sent + i}`)));
      }
    }));
    const appendMs = Date.now() - started;
    const expected = Array.from({ length: EVENTS + 1 }, (_, i) => i + 1);
    const deadline = Date.now() + 120_000;
    const complete = () => [...seen.values()].every((lists) => lists.every((l) => l.length >= EVENTS + 1));
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const [sid, lists] of seen) for (const l of lists) expect(l, sid).toEqual(expected);
    const store = new D1SessionStore(env.DB);
    for (const s of sessions) {
      await env.SESSIONS.get(env.SESSIONS.idFromName(`tenant_a:${s.id}`)).flushNow();
      expect(await store.countEvents("tenant_a", s.id)).toBe(EVENTS + 1);
    }
    for (const ws of sockets) ws.close();
    console.log(`load: ${SESSIONS * EVENTS} events appended in ${appendMs} ms (${Math.round((SESSIONS * EVENTS) / (appendMs / 1000))} events/s), delivered to ${sockets.length} sockets`);
  }, 600_000);
});

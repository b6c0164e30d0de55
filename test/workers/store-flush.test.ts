import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CURRENT_EVENT_SCHEMA_VERSION, type Event } from "../../src/core/event";
import { eventInsertPayloads } from "../../src/store/event-insert";
import { D1SessionStore } from "../../src/store/session-store";

function event(sessionId: string, sequence: number, over: Partial<Event> = {}): Event {
  return {
    id: `evt_${sessionId}_${sequence}`,
    session_id: sessionId,
    run_id: null,
    sequence,
    type: "message_streamed",
    timestamp: new Date(Date.UTC(2026, 10, 29, 0, 0, sequence)).toISOString(),
    provider: null,
    correlation_id: null,
    schema_version: CURRENT_EVENT_SCHEMA_VERSION,
    data: { delta: `d${sequence}` },
    metadata: {},
    origin: "client",
    ...over,
  };
}

describe("D1 event flush (one JSON payload per statement)", () => {
  it("stores every column exactly as given, whatever the values hold", async () => {
    const store = new D1SessionStore(env.DB);
    const sid = `ses_flush_exact_${Date.now()}`;
    const tricky = [
      event(sid, 1),
      event(sid, 2, {
        run_id: "run_x",
        provider: "anthropic",
        correlation_id: "corr-1",
        origin: "service",
        type: "tool_call_started",
        // Text that looks like JSON, quotes, escapes, non-BMP characters, numbers SQLite might reformat.
        data: {
          text: '{"not":"parsed"} \\" \u0000 \u2028 😀 ünïcødé',
          big: 9007199254740991,
          frac: 0.1,
          tiny: 1e-7,
          neg: -0.5,
          nested: { list: [1, "2", null, true, false, { k: [] }] },
          empty: "",
        },
        metadata: { "$[0]": "a key that looks like a path", "'); DROP TABLE events; --": 1 },
      }),
      event(sid, 3, { data: {}, metadata: { only: null } }),
    ];
    const written = await store.flush({ tenantId: "tenant_flush", session: null, runs: [], events: tricky });
    expect(written).toBeGreaterThanOrEqual(3);
    expect(await store.getEvents("tenant_flush", sid, 0, 10)).toEqual(tricky);
    // Idempotent on (session, sequence): a retried flush changes nothing, even with different content.
    await store.flush({ tenantId: "tenant_flush", session: null, runs: [], events: [event(sid, 2, { data: { other: 1 } })] });
    expect(await store.getEvents("tenant_flush", sid, 0, 10)).toEqual(tricky);
    // Another tenant's reads see none of it.
    expect(await store.getEvents("tenant_other", sid, 0, 10)).toEqual([]);
  });

  it("splits a batch too large for one value across statements and loses no row", async () => {
    const store = new D1SessionStore(env.DB);
    const sid = `ses_flush_split_${Date.now()}`;
    const big = "x".repeat(200_000);
    const batch = Array.from({ length: 6 }, (_, i) => event(sid, i + 1, { data: { blob: `${i}${big}` } }));
    expect(eventInsertPayloads(batch, "tenant_flush").length).toBeGreaterThan(1);
    await store.flush({ tenantId: "tenant_flush", session: null, runs: [], events: batch });
    const back = await store.getEvents("tenant_flush", sid, 0, 10);
    expect(back.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back).toEqual(batch);
  });

  it("keeps each payload within the size bound, and puts an oversized row alone", () => {
    const sid = "ses_bound";
    const rows = [event(sid, 1, { data: { b: "y".repeat(600_000) } }), event(sid, 2), event(sid, 3)];
    const payloads = eventInsertPayloads(rows, "t");
    expect(payloads).toHaveLength(2);
    expect((JSON.parse(payloads[0]!) as unknown[]).length).toBe(1);
    expect((JSON.parse(payloads[1]!) as unknown[]).length).toBe(2);
  });
});

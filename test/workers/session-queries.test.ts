import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import type { Session } from "../../src/core/session";
import type { SessionStats } from "../../src/core/session-stats";
import { D1SessionStore } from "../../src/store/session-store";
import { api, appendEvents, createSession, json, KEY_B, note, readEvents } from "./helpers";
import { submitRun, waitRun } from "./runs-helpers";
import { testSessions } from "./support/test-session-do";

const sessions = testSessions(env);

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type Page<T> = { items: T[]; next_cursor: string | null };

const flushed = (sessionId: string, tenant = "tenant_a") => sessions.get(sessions.idFromName(`${tenant}:${sessionId}`)).flushNow();

async function expectUnknownParameter(path: string, name: string): Promise<void> {
  const res = await api(path);
  expect(res.status, path).toBe(400);
  const body = await json<ErrorBody>(res);
  expect(body.error.code).toBe("validation_error");
  expect(body.error.message).toContain(name);
}

describe("GET /v1/sessions/:id/stats", () => {
  it("counts events and runs, sums tokens, lists providers and run statuses, from the session's own object", async () => {
    const s = await createSession();
    await appendEvents(s.id, [
      note("a"),
      { ...note("b"), provider: "claude" },
      { type: "message_received", data: { role: "assistant", content: "c" } },
    ]);
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo hi" })).id);
    expect(run.status).toBe("completed");
    const stats = await json<SessionStats>(api(`/v1/sessions/${s.id}/stats`));
    const all = await readEvents(s.id, "limit=1000");
    expect(stats.session_id).toBe(s.id);
    expect(stats.event_count).toBe(all.events.length);
    expect(stats.latest_sequence).toBe(all.latest_sequence);
    expect(stats.first_event_at).toBe(all.events[0]!.timestamp);
    expect(stats.last_event_at).toBe(
      all.events
        .map((e) => e.timestamp)
        .sort()
        .at(-1),
    );
    expect(stats.run_count).toBe(1);
    expect(stats.status_counts).toEqual({ completed: 1 });
    expect(stats.providers_used).toEqual(expect.arrayContaining(["claude", "shell"]));
    expect(stats.token_totals.total).toBe(run.token_usage.total);
    expect(stats.event_type_counts.message_sent).toBe(all.events.filter((e) => e.type === "message_sent").length);
  });

  it("is 404 for another tenant's session and for an unknown one; an unknown query parameter is 400", async () => {
    const s = await createSession();
    expect((await api(`/v1/sessions/${s.id}/stats`, { key: KEY_B })).status).toBe(404);
    expect((await api(`/v1/sessions/ses_${"0".repeat(32)}/stats`)).status).toBe(404);
    const bad = await api(`/v1/sessions/${s.id}/stats?verbose=true`);
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.message).toContain("verbose");
  });
});

describe("GET /v1/sessions/:id/events/count", () => {
  it("takes the read's filters (after, before, run_id, type, since, until) and agrees with the read", async () => {
    const s = await createSession();
    await appendEvents(s.id, [
      { ...note("old"), timestamp: "2020-01-01T00:00:00Z" },
      { ...note("mid"), timestamp: "2021-01-01T00:00:00Z" },
      { type: "message_received", data: { role: "assistant", content: "x" }, timestamp: "2022-01-01T00:00:00Z" },
    ]);
    const count = async (q: string) => (await json<{ count: number }>(api(`/v1/sessions/${s.id}/events/count?${q}`))).count;
    const read = async (q: string) => (await readEvents(s.id, `${q}&limit=1000`)).events.length;
    for (const q of [
      "type=message_sent",
      "since=2020-06-01T00:00:00Z",
      "until=2021-01-01T00:00:00Z",
      "after=2&before=4",
      "since=2020-06-01T00:00:00%2B00:00&until=2021-06-01T00:00:00Z&type=message_sent,message_received",
      "run_id=run_nothing",
    ]) {
      expect(await count(q), q).toBe(await read(q));
    }
    expect(await count("since=2020-06-01T00:00:00Z&until=2021-06-01T00:00:00Z")).toBe(1);
    expect(await count("type=message_sent")).toBe(2);
  });

  it("answers 400 for an unknown parameter, a bad type or time, and 404 across tenants", async () => {
    const s = await createSession();
    const unknown = await api(`/v1/sessions/${s.id}/events/count?colour=red`);
    expect(unknown.status).toBe(400);
    const body = await json<ErrorBody>(unknown);
    expect(body.error.code).toBe("validation_error");
    expect(body.error.message).toContain("colour");
    expect((await json<ErrorBody>(api(`/v1/sessions/${s.id}/events/count?type=nope`))).error.code).toBe("invalid_event_type");
    expect((await api(`/v1/sessions/${s.id}/events/count?since=yesterday`)).status).toBe(400);
    expect((await api(`/v1/sessions/${s.id}/events/count`, { key: KEY_B })).status).toBe(404);
  });
});

describe("per-session event reads", () => {
  it("accept since/until and refuse unknown parameters", async () => {
    const s = await createSession();
    await appendEvents(s.id, [
      { ...note("old"), timestamp: "2020-01-01T00:00:00Z" },
      { ...note("new"), timestamp: "2030-01-01T00:00:00Z" },
    ]);
    const page = await readEvents(s.id, "since=2029-01-01T00:00:00Z");
    expect(page.events.map((e) => e.data.content)).toEqual(["new"]);
    const early = await readEvents(s.id, "until=2020-01-01T00:00:00Z");
    expect(early.events.map((e) => e.data.content)).toEqual(["old"]);
    const res = await api(`/v1/sessions/${s.id}/events?afterr=3`);
    expect(res.status).toBe(400);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe("validation_error");
    expect(body.error.message).toContain("afterr");
  });
});

describe("searches: orders, filters and unknown parameters", () => {
  it("/v1/query/events filters on correlation_id", async () => {
    const s = await createSession();
    const corr = `corr-${crypto.randomUUID()}`;
    await appendEvents(s.id, [{ ...note("one"), correlation_id: corr }, note("two"), { ...note("three"), correlation_id: corr }]);
    await flushed(s.id);
    const page = await json<Page<Event>>(api(`/v1/query/events?correlation_id=${corr}`));
    expect(page.items.map((e) => e.data.content)).toEqual(["one", "three"]);
    expect((await json<Page<Event>>(api(`/v1/query/events?correlation_id=${corr}`, { key: KEY_B }))).items).toEqual([]);
    await expectUnknownParameter("/v1/query/events?correlation=x", "correlation");
    await expectUnknownParameter("/v1/query/runs?order=asc", "order");
    await expectUnknownParameter("/v1/query/cost?sesion_id=x", "sesion_id");
  });

  it("run searches take the seed's orders (started_at_asc/desc, token_usage_desc) with cursors", async () => {
    const s = await createSession();
    const store = new D1SessionStore(env.DB);
    const base = {
      session_id: s.id,
      status: "completed" as const,
      provider: "claude",
      model: null,
      input: "x",
      output: null,
      error: null,
      turn_count: 1,
      metadata: {},
      idempotency_key: null,
      cost_usd: null,
      ended_at: null,
    };
    const usage = (total: number) => ({ input: total, output: 0, cache_read: 0, cache_creation: 0, total });
    const runs: Run[] = [
      {
        ...base,
        id: `run_${"a".repeat(31)}1`,
        queued_at: "2024-01-01T00:00:00.000Z",
        started_at: "2024-01-01T00:00:05.000Z",
        token_usage: usage(10),
      },
      {
        ...base,
        id: `run_${"a".repeat(31)}2`,
        queued_at: "2024-01-01T00:00:01.000Z",
        started_at: "2024-01-01T00:00:02.000Z",
        token_usage: usage(300),
      },
      {
        ...base,
        id: `run_${"a".repeat(31)}3`,
        queued_at: "2024-01-01T00:00:03.000Z",
        started_at: null,
        status: "queued" as const,
        provider: "shell",
        token_usage: usage(0),
      },
    ];
    await store.flush({ tenantId: "tenant_a", session: null, events: [], runs });
    const ids = async (q: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<Run> = await json<Page<Run>>(
          api(`/v1/query/runs?session_id=${s.id}&limit=1&${q}${cursor ? `&cursor=${cursor}` : ""}`),
        );
        out.push(...page.items.map((r) => r.id));
        cursor = page.next_cursor;
      } while (cursor);
      return out.map((id) => id.slice(-1));
    };
    expect(await ids("order_by=started_at_asc")).toEqual(["2", "3", "1"]);
    expect(await ids("order_by=started_at_desc")).toEqual(["1", "3", "2"]);
    expect(await ids("order_by=token_usage_desc")).toEqual(["2", "1", "3"]);
    expect(await ids("order_by=token_usage_desc&min_tokens=10&provider=claude")).toEqual(["2", "1"]);
  });

  it("session searches take orders, tags (all must match), provider and min_tokens; unknown parameters are 400", async () => {
    const agent = `search-${crypto.randomUUID()}`;
    const a = await createSession({ agent_id: agent, tags: ["red", "blue"], metadata: { provider: "claude" } });
    const b = await createSession({ agent_id: agent, tags: ["red"] });
    const c = await createSession({ agent_id: agent, tags: ["blue", "red", "green"] });
    await waitRun(b.id, (await submitRun(b.id, { provider: "shell", input: "echo b" })).id);
    await flushed(b.id);
    // a is touched last: first under updated_at_desc.
    await api(`/v1/sessions/${a.id}`, { method: "PATCH", json: { metadata: { touched: true } } });
    await flushed(a.id);
    const list = async (q: string) => (await json<Page<Session>>(api(`/v1/sessions?agent_id=${agent}&${q}`))).items.map((x) => x.id);
    expect(await list("order_by=created_at_asc")).toEqual([a.id, b.id, c.id]);
    expect(await list("order_by=created_at_desc")).toEqual([c.id, b.id, a.id]);
    expect((await list("order_by=updated_at_desc"))[0]).toBe(a.id);
    expect(await list("order_by=created_at_asc&tags=red,blue")).toEqual([a.id, c.id]);
    expect(await list("tags=red,blue,green")).toEqual([c.id]);
    expect(await list("order_by=created_at_asc&provider=claude,shell")).toEqual([a.id, b.id]);
    expect(await list("provider=shell")).toEqual([b.id]);
    expect(await list("min_tokens=1")).toEqual([]);
    expect((await list("min_tokens=0")).length).toBe(3);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<Session> = await json<Page<Session>>(
        api(`/v1/sessions?agent_id=${agent}&order_by=created_at_asc&limit=2${cursor ? `&cursor=${cursor}` : ""}`),
      );
      paged.push(...page.items.map((x) => x.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual([a.id, b.id, c.id]);
    const first = await json<Page<Session>>(api(`/v1/sessions?agent_id=${agent}&limit=1`));
    const mismatched = await api(`/v1/sessions?agent_id=${agent}&order_by=updated_at_desc&cursor=${first.next_cursor}`);
    expect((await json<ErrorBody>(mismatched)).error.code).toBe("invalid_cursor");
    await expectUnknownParameter(`/v1/sessions?agent=${agent}`, "agent");
    expect((await api("/v1/sessions?order_by=name")).status).toBe(400);
  });
});

describe("export and import", () => {
  const exportLines = async (id: string, key?: string) => {
    const res = await api(`/v1/sessions/${id}/export`, key ? { key } : {});
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    return (await res.text())
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown> & { kind: string });
  };
  const importLines = (lines: unknown, key?: string) =>
    api("/v1/sessions/import", { method: "POST", json: lines, ...(key ? { key } : {}) });

  it("exports session, runs and events as NDJSON and imports them as a new session with the same sequences", async () => {
    const s = await createSession({ agent_id: "exporter", tags: ["keep"], metadata: { team: "x" } });
    await appendEvents(s.id, [note("hello"), { ...note("corr"), correlation_id: "c-1" }]);
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo exported" })).id);
    const lines = await exportLines(s.id);
    expect(lines.map((l) => l.kind)).toEqual([
      "header",
      "session",
      "run",
      ...lines.filter((l) => l.kind === "event").map(() => "event"),
      "end",
    ]);
    const original = await readEvents(s.id, "limit=1000");
    expect(lines.filter((l) => l.kind === "event").map((l) => (l.event as Event).sequence)).toEqual(original.events.map((e) => e.sequence));
    expect(lines.at(-1)).toMatchObject({ kind: "end", run_count: 1, event_count: original.events.length });

    const res = await importLines(lines);
    expect(res.status).toBe(201);
    const out = await json<{ session: Session; run_ids: Record<string, string>; event_count: number; imported_from: string }>(res);
    expect(out.session.id).not.toBe(s.id);
    expect(res.headers.get("location")).toBe(`/v1/sessions/${out.session.id}`);
    expect(out.imported_from).toBe(s.id);
    expect(out.session).toMatchObject({ agent_id: "exporter", tags: ["keep"], last_sequence: original.latest_sequence });
    expect(out.session.metadata).toMatchObject({ team: "x", imported_from: { session_id: s.id } });
    const newRun = out.run_ids[run.id]!;
    expect(newRun).toMatch(/^run_[0-9a-f]{32}$/);
    const copied = await readEvents(out.session.id, "limit=1000");
    expect(copied.events.map((e) => [e.sequence, e.type, e.id, e.data])).toEqual(
      original.events.map((e) => [e.sequence, e.type, e.id, e.data]),
    );
    expect(copied.events.filter((e) => e.run_id !== null).every((e) => e.run_id === newRun)).toBe(true);
    const runs = await json<Page<Run>>(api(`/v1/sessions/${out.session.id}/runs`));
    expect(runs.items.map((r) => [r.id, r.status, r.output])).toEqual([[newRun, "completed", run.output]]);
    // The imported session continues numbering after the export's last sequence.
    const [next] = await appendEvents(out.session.id, [note("after import")]);
    expect(next!.sequence).toBe(original.latest_sequence + 1);
    const stats = await json<SessionStats>(api(`/v1/sessions/${out.session.id}/stats`));
    expect(stats).toMatchObject({ event_count: original.events.length + 1, run_count: 1, status_counts: { completed: 1 } });
    // Round trip: the import exports the same events again.
    const again = await exportLines(out.session.id);
    expect(again.filter((l) => l.kind === "event").length).toBe(original.events.length + 1);
  });

  it("is tenant-scoped: another tenant's session is 404, and an import belongs to the importer", async () => {
    const s = await createSession();
    expect((await api(`/v1/sessions/${s.id}/export`, { key: KEY_B })).status).toBe(404);
    expect((await api(`/v1/sessions/${s.id}/export?full=1`)).status).toBe(400);
    const lines = await exportLines(s.id);
    const res = await importLines(lines, KEY_B);
    expect(res.status).toBe(201);
    const out = await json<{ session: Session }>(res);
    expect(out.session.tenant_id).not.toBe(s.tenant_id);
    expect((await api(`/v1/sessions/${out.session.id}`)).status).toBe(404);
    expect((await api(`/v1/sessions/${out.session.id}`, { key: KEY_B })).status).toBe(200);
  });

  it("vouches for nothing it did not write: imported events are the client's, redacted, with the claimed origin kept", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("genuine")]);
    const lines = await exportLines(s.id);
    const events = lines.filter((l) => l.kind === "event").map((l) => l.event as Event);
    const last = events.at(-1)!;
    const planted = "sk-ant-api03-" + "PlantedImportKey_0123456789";
    // A hand-made line: a service-origin "run completed" the importing deployment never saw, carrying a secret.
    const forged: Event = {
      ...last,
      id: "evt_forged",
      sequence: last.sequence + 1,
      type: "run_completed",
      origin: "service",
      data: { output: `token ${planted}` },
      metadata: { _redactions: 0, note: planted },
    };
    const header = { ...lines[0], latest_sequence: forged.sequence };
    const body = [
      header,
      ...lines.slice(1, -1),
      { kind: "event", event: forged },
      { kind: "end", run_count: 0, event_count: events.length + 1 },
    ];
    const res = await importLines(body);
    expect(res.status).toBe(201);
    const imported = (await json<{ session: Session }>(res)).session;

    const stored = (await readEvents(imported.id, "limit=1000")).events;
    expect(stored.map((e) => e.origin)).toEqual(stored.map(() => "client"));
    expect(stored.map((e) => e.metadata.imported_origin)).toEqual([...events.map((e) => e.origin), "service"]);
    const copy = stored.find((e) => e.id === "evt_forged")!;
    expect(JSON.stringify(copy)).not.toContain(planted);
    expect(copy.metadata._redactions).toBe(2);
    // The flushed copy (cross-session queries) says the same.
    const queried = await json<{ items: Event[] }>(api(`/v1/query/events?session_id=${imported.id}&type=run_completed`));
    expect(queried.items.map((e) => [e.id, e.origin, e.metadata.imported_origin])).toEqual([["evt_forged", "client", "service"]]);
    expect(JSON.stringify(queried.items)).not.toContain(planted);
    // Exported again and re-imported, the first claimed origin survives.
    const again = await importLines(await exportLines(imported.id));
    const reimported = (await readEvents((await json<{ session: Session }>(again)).session.id, "limit=1000")).events;
    expect(reimported.find((e) => e.id === "evt_forged")?.metadata.imported_origin).toBe("service");
  });

  it("refuses a bad import body with 400", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("a"), note("b")]);
    const lines = await exportLines(s.id);
    const code = async (body: unknown) => {
      const res = await importLines(body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      return (await json<ErrorBody>(res)).error.code;
    };
    expect(await code({ not: "an array" })).toBe("validation_error");
    expect(await code(lines.slice(0, -1))).toBe("validation_error"); // cut off: no end line
    expect(await code(lines.slice(1))).toBe("validation_error"); // no header
    expect(await code([lines[1], lines[0], ...lines.slice(2)])).toBe("validation_error"); // out of order
    const events = lines.filter((l) => l.kind === "event");
    expect(await code([lines[0], lines[1], events[1], events[0], { kind: "end", run_count: 0, event_count: 2 }])).toBe("validation_error");
    expect(await code([...lines.slice(0, -1), { kind: "end", run_count: 0, event_count: 99 }])).toBe("validation_error");
    expect(await code([{ ...lines[0], version: 99 }, ...lines.slice(1)])).toBe("validation_error");
    const raw = await api("/v1/sessions/import", { method: "POST", body: "{not json", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
  });

  const exportText = async (id: string) => {
    const res = await api(`/v1/sessions/${id}/export`);
    expect(res.status).toBe(200);
    return res.text();
  };
  const importNdjson = (body: string) =>
    api("/v1/sessions/import", { method: "POST", body, headers: { "content-type": "application/x-ndjson" } });

  it("imports the export's own NDJSON body: same sequences, types and ids under a new session id", async () => {
    const s = await createSession({ agent_id: "ndjson-exporter" });
    await appendEvents(s.id, [note("one"), note("two"), note("three")]);
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo ndjson" })).id);
    const text = await exportText(s.id);
    const res = await importNdjson(text);
    expect(res.status).toBe(201);
    const out = await json<{ session: Session; run_ids: Record<string, string> }>(res);
    expect(out.session.id).not.toBe(s.id);
    const original = await readEvents(s.id, "limit=1000");
    const copied = await readEvents(out.session.id, "limit=1000");
    expect(copied.events.map((e) => [e.sequence, e.type, e.id, e.data])).toEqual(
      original.events.map((e) => [e.sequence, e.type, e.id, e.data]),
    );
    expect(Object.keys(out.run_ids)).toEqual([run.id]);
    // Exporting the import gives the same lines but for the ids the import rewrote and the export time.
    const again = (await exportText(out.session.id))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; event?: Event });
    const first = text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; event?: Event });
    expect(again.map((l) => [l.kind, l.event?.sequence, l.event?.type])).toEqual(
      first.map((l) => [l.kind, l.event?.sequence, l.event?.type]),
    );
  });

  it("refuses a bad NDJSON line with 400 naming the line, and imports nothing", async () => {
    const agent = `ndjson-bad-${crypto.randomUUID().slice(0, 8)}`;
    const s = await createSession({ agent_id: agent });
    await appendEvents(s.id, [note("a"), note("b")]);
    const text = await exportText(s.id);
    const rows = text.split("\n").filter(Boolean);
    const refused = async (body: string, line: number | null, code = "validation_error") => {
      const res = await importNdjson(body);
      expect(res.status, body.slice(0, 200)).toBe(400);
      const err = (await json<ErrorBody>(res)).error;
      expect(err.code).toBe(code);
      expect(err.details.line).toBe(line);
    };
    // Line numbers count the text's lines, blank ones included.
    await refused([rows[0], rows[1], "", "{oops", ...rows.slice(2)].join("\n"), 4, "invalid_format");
    const event = JSON.parse(rows[2]!) as { event: Event };
    await refused(
      [rows[0], rows[1], rows[2], JSON.stringify({ kind: "event", event: { ...event.event, sequence: "x" } }), ...rows.slice(3)].join("\n"),
      4,
    );
    await refused([rows[0], rows[1], rows[3], rows[2], ...rows.slice(4)].join("\n"), 4); // sequences go backwards
    await refused([rows[0], rows[1], rows[2], rows[2], ...rows.slice(3)].join("\n"), 4); // the same event twice
    await refused([...rows.slice(0, -1), "", JSON.stringify({ kind: "end", run_count: 0, event_count: 99 })].join("\n"), rows.length + 1);
    await refused(rows.slice(0, -1).join("\n"), null); // cut off: no end line
    // All or nothing: none of the refused imports left a session behind.
    const list = await json<{ items: Session[] }>(api(`/v1/sessions?agent_id=${agent}`));
    expect(list.items.map((x) => x.id)).toEqual([s.id]);
    // Another content type is 415 naming both accepted ones.
    const plain = await api("/v1/sessions/import", { method: "POST", body: text, headers: { "content-type": "text/plain" } });
    expect(plain.status).toBe(415);
    expect((await json<ErrorBody>(plain)).error.details.accepted).toEqual(["application/json", "application/x-ndjson"]);
    // NDJSON is taken by the import only.
    const elsewhere = await api("/v1/sessions", { method: "POST", body: "{}", headers: { "content-type": "application/x-ndjson" } });
    expect(elsewhere.status).toBe(415);
  });

  it("declares both import content types and the NDJSON export line in the OpenAPI document", async () => {
    type Doc = {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, unknown> };
            responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
          }
        >
      >;
    };
    const doc = await json<Doc>(api("/openapi.json", { key: null }));
    expect(Object.keys(doc.paths["/v1/sessions/import"]!.post!.requestBody!.content).sort()).toEqual([
      "application/json",
      "application/x-ndjson",
    ]);
    expect(doc.paths["/v1/sessions/{id}/export"]!.get!.responses["200"]!.content!["application/x-ndjson"]!.schema).toEqual({
      $ref: "#/components/schemas/SessionExportLine",
    });
  });
});

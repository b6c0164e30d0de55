import { describe, expect, it } from "vitest";
import type { SessionStats } from "../../src/core/session-stats";
import { api, appendEvents, createSession, json, KEY_B, note, readEvents } from "./helpers";
import { submitRun, waitRun } from "./runs-helpers";

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

describe("GET /v1/sessions/:id/stats", () => {
  it("counts events and runs, sums tokens, lists providers and run statuses, from the session's own object", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("a"), { ...note("b"), provider: "claude" }, { type: "message_received", data: { role: "assistant", content: "c" } }]);
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo hi" })).id);
    expect(run.status).toBe("completed");
    const stats = await json<SessionStats>(api(`/v1/sessions/${s.id}/stats`));
    const all = await readEvents(s.id, "limit=1000");
    expect(stats.session_id).toBe(s.id);
    expect(stats.event_count).toBe(all.events.length);
    expect(stats.latest_sequence).toBe(all.latest_sequence);
    expect(stats.first_event_at).toBe(all.events[0]!.timestamp);
    expect(stats.last_event_at).toBe(all.events.map((e) => e.timestamp).sort().at(-1));
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
    for (const q of ["type=message_sent", "since=2020-06-01T00:00:00Z", "until=2021-01-01T00:00:00Z", "after=2&before=4",
      "since=2020-06-01T00:00:00%2B00:00&until=2021-06-01T00:00:00Z&type=message_sent,message_received", "run_id=run_nothing"]) {
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
    await appendEvents(s.id, [{ ...note("old"), timestamp: "2020-01-01T00:00:00Z" }, { ...note("new"), timestamp: "2030-01-01T00:00:00Z" }]);
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

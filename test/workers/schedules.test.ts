import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import type { Schedule } from "../../src/core/schedule";
import { api, createSession, json, KEY_B, readEvents } from "./helpers";
import { waitRun } from "./runs-helpers";

const SHELL = { provider: "shell", input: "echo scheduled" };

function stubFor(sessionId: string, tenant = "tenant_a") {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${tenant}:${sessionId}`));
}

async function createSchedule(sessionId: string, body: Record<string, unknown>): Promise<Schedule> {
  const res = await api(`/v1/sessions/${sessionId}/schedules`, { method: "POST", json: body });
  if (res.status !== 201) throw new Error(`create schedule: ${res.status} ${await res.text()}`);
  expect(res.headers.get("location")).toMatch(new RegExp(`/v1/sessions/${sessionId}/schedules/sch_[0-9a-f]{32}$`));
  return (await res.json()) as Schedule;
}

async function runsOf(sessionId: string): Promise<Run[]> {
  return (await json<{ items: Run[] }>(api(`/v1/sessions/${sessionId}/runs?limit=200`))).items;
}

/** Polls until `pred` holds (the alarm fires on its own time); bounded. */
async function until<T>(what: string, read: () => Promise<T>, pred: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (pred(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Makes every stored schedule of the session due now, restarts its object (so the fresh instance reads them from
 * storage, as after an eviction or deploy) and runs its alarm.
 */
async function forceDueAfterRestart(sessionId: string, tenant = "tenant_a"): Promise<void> {
  const stub = stubFor(sessionId, tenant);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const read = (key: string): unknown => JSON.parse(sql.exec<{ value: string }>(`SELECT value FROM kv WHERE key = ?`, key).one().value);
    const past = Date.now() - 1_000;
    const schedules = read("schedules") as Record<string, { due_ms: number | null }>;
    for (const s of Object.values(schedules)) if (s.due_ms !== null) s.due_ms = past;
    const deadlines = read("alarm_deadlines") as Record<string, number>;
    deadlines.schedules = past;
    sql.exec(`UPDATE kv SET value = ? WHERE key = 'schedules'`, JSON.stringify(schedules));
    sql.exec(`UPDATE kv SET value = ? WHERE key = 'alarm_deadlines'`, JSON.stringify(deadlines));
  });
  await evictDurableObject(stub);
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

describe("schedules", () => {
  it("create, list, get and delete; another tenant and unknown ids are 404", { timeout: 60_000 }, async () => {
    const s = await createSession();
    const cron = await createSchedule(s.id, { cron: "*/5 * * * *", run: SHELL });
    expect(cron).toMatchObject({
      kind: "cron",
      cron: "*/5 * * * *",
      status: "active",
      session_id: s.id,
      fire_count: 0,
      skip_count: 0,
      last_run_id: null,
    });
    const next = Date.parse(cron.next_run_at!);
    expect(next).toBeGreaterThan(Date.now() - 60_000);
    expect(new Date(next).getUTCMinutes() % 5).toBe(0);
    expect(new Date(next).getUTCSeconds()).toBe(0);

    const every = await createSchedule(s.id, { every_ms: 3_600_000, run: { ...SHELL, metadata: { note: "hourly" } } });
    expect(every).toMatchObject({ kind: "every", every_ms: 3_600_000, cron: null, at: null });
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const once = await createSchedule(s.id, { at, run: SHELL });
    expect(once).toMatchObject({ kind: "at", at, next_run_at: at });

    const list = await json<{ items: Schedule[] }>(api(`/v1/sessions/${s.id}/schedules`));
    expect(list.items.map((x) => x.id)).toEqual([cron.id, every.id, once.id]);
    expect(await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${every.id}`))).toEqual(every);

    expect((await api(`/v1/sessions/${s.id}/schedules/${every.id}`, { key: KEY_B })).status).toBe(404);
    expect((await api(`/v1/sessions/${s.id}/schedules`, { key: KEY_B })).status).toBe(404);
    expect(
      (await api(`/v1/sessions/${s.id}/schedules`, { method: "POST", json: { every_ms: 60_000, run: SHELL }, key: KEY_B })).status,
    ).toBe(404);
    expect((await api(`/v1/sessions/ses_${"0".repeat(32)}/schedules`)).status).toBe(404);
    const missing = await api(`/v1/sessions/${s.id}/schedules/sch_${"0".repeat(32)}`);
    expect(missing.status).toBe(404);
    expect((await json<{ error: { code: string } }>(missing)).error.code).toBe("not_found");

    const deleted = await api(`/v1/sessions/${s.id}/schedules/${every.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect((await api(`/v1/sessions/${s.id}/schedules/${every.id}`)).status).toBe(404);
    expect((await api(`/v1/sessions/${s.id}/schedules/${every.id}`, { method: "DELETE" })).status).toBe(404);
    const after = await json<{ items: Schedule[] }>(api(`/v1/sessions/${s.id}/schedules`));
    expect(after.items.map((x) => x.id)).toEqual([cron.id, once.id]);
  });

  it("refuses bad bodies with 400 and says which field", { timeout: 60_000 }, async () => {
    const s = await createSession();
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const bad: [Record<string, unknown>, string][] = [
      [{ run: SHELL }, "cron"],
      [{ cron: "0 * * * *", every_ms: 60_000, run: SHELL }, "every_ms"],
      [{ cron: "61 * * * *", run: SHELL }, "cron"],
      [{ cron: "* * * *", run: SHELL }, "cron"],
      [{ cron: "*/10 * * * * *", run: SHELL }, "cron"],
      [{ every_ms: 59_999, run: SHELL }, "every_ms"],
      [{ at: "tomorrow", run: SHELL }, "at"],
      [{ every_ms: 60_000 }, "run"],
      [{ every_ms: 60_000, run: { provider: "nope", input: "x" } }, "run"],
      [{ at: soon, run: SHELL, extra: 1 }, ""],
      [{ at: new Date(Date.now() - 60_000).toISOString(), run: SHELL }, "at"],
      [{ every_ms: 60_000, run: { ...SHELL, policy: { limits: { max_total_tokens: -1 } } } }, ""],
    ];
    for (const [body, field] of bad) {
      const res = await api(`/v1/sessions/${s.id}/schedules`, { method: "POST", json: body });
      const text = await res.text();
      expect(res.status, `${JSON.stringify(body)} → ${text}`).toBe(400);
      expect(text).toContain(field);
    }
    expect((await json<{ items: Schedule[] }>(api(`/v1/sessions/${s.id}/schedules`))).items).toEqual([]);
  });

  it("an `at` schedule fires once from the alarm: the run carries metadata.schedule_id", { timeout: 90_000 }, async () => {
    const s = await createSession();
    const schedule = await createSchedule(s.id, { at: new Date(Date.now() + 1_500).toISOString(), run: SHELL });
    const runs = await until(
      "the scheduled run",
      () => runsOf(s.id),
      (r) => r.length > 0,
      60_000,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.metadata.schedule_id).toBe(schedule.id);
    const ended = await waitRun(s.id, runs[0]!.id, 30_000);
    expect(ended.status).toBe("completed");
    const after = await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${schedule.id}`));
    expect(after).toMatchObject({ status: "done", next_run_at: null, fire_count: 1, skip_count: 0, last_run_id: runs[0]!.id });
    expect(after.last_fired_at).not.toBeNull();
  });

  it("survives a restart, fires on its interval and keeps going", { timeout: 90_000 }, async () => {
    const s = await createSession();
    const schedule = await createSchedule(s.id, { every_ms: 60_000, run: SHELL });
    await evictDurableObject(stubFor(s.id));
    expect(await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${schedule.id}`))).toEqual(schedule);

    await forceDueAfterRestart(s.id);
    const runs = await runsOf(s.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.metadata.schedule_id).toBe(schedule.id);
    expect((await waitRun(s.id, runs[0]!.id, 30_000)).status).toBe("completed");
    const after = await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${schedule.id}`));
    expect(after).toMatchObject({ status: "active", fire_count: 1, last_run_id: runs[0]!.id });
    // The next firing is one interval on, in the future.
    expect(Date.parse(after.next_run_at!)).toBeGreaterThan(Date.now());

    await forceDueAfterRestart(s.id);
    expect(await runsOf(s.id)).toHaveLength(2);
    expect((await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${schedule.id}`))).fire_count).toBe(2);
  });

  it("while the session is paused a due schedule is skipped with a schedule_skipped event", { timeout: 90_000 }, async () => {
    const s = await createSession();
    expect((await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "active" } })).status).toBe(200);
    expect((await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "paused" } })).status).toBe(200);
    const schedule = await createSchedule(s.id, { cron: "0 3 * * *", run: SHELL });
    await forceDueAfterRestart(s.id);
    expect(await runsOf(s.id)).toEqual([]);
    const skipped = (await readEvents(s.id, "type=schedule_skipped")).events as Event[];
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.origin).toBe("service");
    expect(skipped[0]!.data).toMatchObject({ schedule_id: schedule.id, reason: "session_paused" });
    const after = await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${schedule.id}`));
    expect(after).toMatchObject({ status: "active", fire_count: 0, skip_count: 1 });
    // A cron schedule's next firing is its next match: 03:00 UTC.
    expect(new Date(after.next_run_at!).getUTCHours()).toBe(3);

    // Resumed, the next due firing submits its run.
    expect((await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "active" } })).status).toBe(200);
    await forceDueAfterRestart(s.id);
    const runs = await runsOf(s.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.metadata.schedule_id).toBe(schedule.id);
  });

  it("a refused submission (tenant queued-run quota) is skipped with its error code", { timeout: 90_000 }, async () => {
    const key = "test_key_qsch"; // tq_schedules: no queued run allowed
    const res = await api("/v1/sessions", { method: "POST", json: { agent_id: "sched-quota" }, key });
    expect(res.status).toBe(201);
    const s = (await res.json()) as { id: string };
    const created = await api(`/v1/sessions/${s.id}/schedules`, { method: "POST", json: { every_ms: 60_000, run: SHELL }, key });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as Schedule;
    await forceDueAfterRestart(s.id, "tq_schedules");
    const events = await json<{ events: Event[] }>(api(`/v1/sessions/${s.id}/events?type=schedule_skipped`, { key }));
    expect(events.events.map((e) => e.data)).toEqual([
      expect.objectContaining({ schedule_id: schedule.id, reason: "submit_refused", error_code: "quota_exceeded" }),
    ]);
    const after = await json<Schedule>(api(`/v1/sessions/${s.id}/schedules/${schedule.id}`, { key }));
    expect(after).toMatchObject({ status: "active", fire_count: 0, skip_count: 1, last_run_id: null });
    expect((await json<{ items: Run[] }>(api(`/v1/sessions/${s.id}/runs`, { key }))).items).toEqual([]);
  });

  it("a deleted session's schedules stop", { timeout: 60_000 }, async () => {
    const s = await createSession();
    await createSchedule(s.id, { every_ms: 60_000, run: SHELL });
    expect((await api(`/v1/sessions/${s.id}`, { method: "DELETE" })).status).toBe(200);
    await forceDueAfterRestart(s.id);
    await runInDurableObject(stubFor(s.id), (_instance, state) => {
      const stored = JSON.parse(
        state.storage.sql.exec<{ value: string }>(`SELECT value FROM kv WHERE key = 'schedules'`).one().value,
      ) as Record<string, { schedule: Schedule; due_ms: number | null }>;
      const only = Object.values(stored)[0]!;
      expect(only.schedule.status).toBe("stopped");
      expect(only.due_ms).toBeNull();
      const runs = state.storage.sql.exec(`SELECT COUNT(*) AS n FROM runs`).one() as { n: number };
      expect(runs.n).toBe(0);
    });
  });
});

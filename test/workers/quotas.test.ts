import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Run } from "../../src/core/run";
import { api, createSession, json, KEY_A, note } from "./helpers";

/**
 * Tenant quotas (TENANT_QUOTAS in vitest.config.ts gives each tq_* tenant one tight quota): the 429's shape and
 * headers, the run that waits for a tenant slot, leases, and other tenants untouched.
 */

const KEYS = { sessions: "test_key_qs", runs: "test_key_qr", queue: "test_key_qq", events: "test_key_qe", ws: "test_key_qw" };

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown>; retryable: boolean } };

async function expect429(res: Response, code: string, quota: string, limit: number): Promise<ErrorBody> {
  expect(res.status).toBe(429);
  const body = (await res.json()) as ErrorBody;
  expect(body.error).toMatchObject({ code, retryable: true, details: { quota, limit } });
  expect(body.error.message).toMatch(/quota/i);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(res.headers.get("ratelimit-policy")).toMatch(new RegExp(`^"${quota}";q=${limit}(;w=\\d+)?$`));
  // r is what is left (a refused batch may have asked for more than that); t says when to try again.
  expect(res.headers.get("ratelimit")).toMatch(new RegExp(`^"${quota}";r=\\d+;t=\\d+$`));
  return body;
}

function submit(sessionId: string, key: string, input: string): Promise<Response> {
  return api(`/v1/sessions/${sessionId}/runs`, { method: "POST", json: { provider: "shell", input }, key });
}

async function submitted(sessionId: string, key: string, input: string): Promise<Run> {
  const res = await submit(sessionId, key, input);
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return (await res.json()) as Run;
}

function getRun(sessionId: string, runId: string, key: string): Promise<Run> {
  return json<Run>(api(`/v1/sessions/${sessionId}/runs/${runId}`, { key }));
}

function waitRun(sessionId: string, runId: string, key: string, timeoutMs = 15_000): Promise<Run> {
  return json<Run>(api(`/v1/sessions/${sessionId}/runs/${runId}/wait?timeout_ms=${timeoutMs}`, { key }));
}

async function untilStatus(sessionId: string, runId: string, key: string, status: string, ms = 10_000): Promise<Run> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await getRun(sessionId, runId, key);
    if (run.status === status) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${run.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ledger = (tenant: string) => env.TENANTS!.get(env.TENANTS!.idFromName(tenant));

describe("tenant quotas", () => {
  it("active sessions: the third is a 429 quota_exceeded until one ends or is deleted", async () => {
    const [a, b] = [await createSession({ agent_id: "q" }, KEYS.sessions), await createSession({ agent_id: "q" }, KEYS.sessions)];
    const refused = await expect429(
      await api("/v1/sessions", { method: "POST", json: { agent_id: "q" }, key: KEYS.sessions }),
      "quota_exceeded",
      "active_sessions",
      2,
    );
    expect(refused.error.details).toMatchObject({ current: 2, scope: "tenant" });
    // Another tenant is not affected.
    expect((await createSession({ agent_id: "q" }, KEY_A)).tenant_id).toBe("tenant_a");
    // Ending a session gives its place back; so does deleting one.
    expect((await api(`/v1/sessions/${a.id}`, { method: "PATCH", json: { status: "completed" }, key: KEYS.sessions })).status).toBe(200);
    const c = await createSession({ agent_id: "q" }, KEYS.sessions);
    await expect429(
      await api("/v1/sessions", { method: "POST", json: { agent_id: "q" }, key: KEYS.sessions }),
      "quota_exceeded",
      "active_sessions",
      2,
    );
    expect((await api(`/v1/sessions/${b.id}`, { method: "DELETE", key: KEYS.sessions })).status).toBe(200);
    const d = await createSession({ agent_id: "q" }, KEYS.sessions);
    expect(d.id).not.toBe(c.id);
  });

  it("appended events per second: over the bucket is a 429 rate_limited with RateLimit headers; it refills; others are unaffected", async () => {
    const s = await createSession({ agent_id: "q" }, KEYS.events);
    const ok = await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      json: { events: Array.from({ length: 10 }, (_, i) => note(`e${i}`)) },
      key: KEYS.events,
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("ratelimit-policy")).toBe('"events_per_second";q=10;w=1');
    expect(ok.headers.get("ratelimit")).toMatch(/^"events_per_second";r=0;t=1$/);
    // Another full batch right away: the bucket refills 10 a second, so it cannot have that many again yet.
    const refused = await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      json: { events: Array.from({ length: 10 }, (_, i) => note(`x${i}`)) },
      key: KEYS.events,
    });
    const body = await expect429(refused, "rate_limited", "events_per_second", 10);
    expect(body.error.details).toMatchObject({ current: 10, window_seconds: 1, scope: "tenant" });
    expect(Number(body.error.details.retry_after_ms)).toBeGreaterThan(0);
    // Nothing of the refused batch was stored.
    const page = await json<{ events: { sequence: number }[] }>(api(`/v1/sessions/${s.id}/events?limit=100`, { key: KEYS.events }));
    expect(page.events).toHaveLength(11);
    // Another tenant appends as it likes meanwhile.
    const other = await createSession();
    expect((await api(`/v1/sessions/${other.id}/events`, { method: "POST", json: { events: [note("fine")] } })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1_100));
    const later = await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      json: { events: Array.from({ length: 5 }, (_, i) => note(`l${i}`)) },
      key: KEYS.events,
    });
    expect(later.status).toBe(201);
    expect(later.headers.get("ratelimit")).toMatch(/^"events_per_second";r=\d+/);
  });

  it("leases topped up in the background never add to the rate: single-event appends are admitted at the bucket's pace", async () => {
    const s = await createSession({ agent_id: "q" }, KEYS.events);
    // Let the bucket fill after the other tests of this tenant.
    await new Promise((r) => setTimeout(r, 1_100));
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note(`t${i}`)] }, key: KEYS.events });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    const seconds = (Date.now() - started) / 1000;
    const admitted = statuses.filter((c) => c === 201).length;
    expect(statuses.every((c) => c === 201 || c === 429)).toBe(true);
    // A full bucket (10), what it refilled meanwhile (10 a second), and at most one share leased ahead (1).
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(seconds * 10) + 1);
    expect(admitted).toBeGreaterThanOrEqual(10);
    const page = await json<{ events: unknown[] }>(api(`/v1/sessions/${s.id}/events?limit=100`, { key: KEYS.events }));
    expect(page.events).toHaveLength(1 + admitted);
  });

  it("WebSocket subscribers per session: the third socket is a 429; closing one makes room; other sessions are unaffected", async () => {
    const s = await createSession({ agent_id: "q" }, KEYS.ws);
    const open = async (sid: string) => api(`/v1/sessions/${sid}/ws`, { headers: { upgrade: "websocket" }, key: KEYS.ws });
    const first = (await open(s.id)).webSocket!;
    const second = (await open(s.id)).webSocket!;
    first.accept();
    second.accept();
    const body = await expect429(await open(s.id), "quota_exceeded", "ws_subscribers_per_session", 2);
    expect(body.error.details).toMatchObject({ scope: "session", current: 2 });
    const otherSession = await createSession({ agent_id: "q" }, KEYS.ws);
    const elsewhere = await open(otherSession.id);
    expect(elsewhere.status).toBe(101);
    elsewhere.webSocket!.accept();
    first.close(1000, "done");
    let third: Response | null = null;
    for (const deadline = Date.now() + 3_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      third = await open(s.id);
      if (third.status === 101) break;
    }
    expect(third!.status).toBe(101);
    third!.webSocket!.accept();
    for (const ws of [second, third!.webSocket!, elsewhere.webSocket!]) ws.close(1000, "done");
  });

  it("queued runs: over the tenant's queue is a 429 quota_exceeded; a run that starts frees its queued place", async () => {
    const s = await createSession({ agent_id: "q", max_concurrent_runs: 1 }, KEYS.queue);
    const running = await submitted(s.id, KEYS.queue, "sleep 1.5; echo first");
    await untilStatus(s.id, running.id, KEYS.queue, "running");
    const q1 = await submitted(s.id, KEYS.queue, "echo q1");
    const q2 = await submitted(s.id, KEYS.queue, "echo q2");
    const body = await expect429(await submit(s.id, KEYS.queue, "echo q3"), "quota_exceeded", "queued_runs", 2);
    expect(body.error.details).toMatchObject({ current: 2, scope: "tenant" });
    // Every run completes; nothing was failed for the quota.
    for (const run of [running, q1, q2]) expect((await waitRun(s.id, run.id, KEYS.queue)).status).toBe("completed");
    expect((await waitRun(s.id, (await submitted(s.id, KEYS.queue, "echo after")).id, KEYS.queue)).status).toBe("completed");
  });

  it("concurrent runs: a run that finds every tenant slot taken stays queued and starts when one frees; other tenants run meanwhile", async () => {
    const [a, b] = [await createSession({ agent_id: "q" }, KEYS.runs), await createSession({ agent_id: "q" }, KEYS.runs)];
    const first = await submitted(a.id, KEYS.runs, "sleep 2; echo first");
    await untilStatus(a.id, first.id, KEYS.runs, "running");
    const second = await submitted(b.id, KEYS.runs, "echo second");
    // Another tenant's run is not held up by this tenant's quota.
    const other = await createSession();
    const otherRun = await submitted(other.id, KEY_A, "echo other");
    expect((await waitRun(other.id, otherRun.id, KEY_A)).status).toBe("completed");
    const waiting = await getRun(b.id, second.id, KEYS.runs);
    expect(waiting.status).toBe("queued");
    expect(waiting.started_at).toBeNull();
    const firstDone = await waitRun(a.id, first.id, KEYS.runs);
    const secondDone = await waitRun(b.id, second.id, KEYS.runs);
    expect(firstDone.status).toBe("completed");
    expect(secondDone.status).toBe("completed");
    expect(secondDone.output?.content).toBe("second\n");
    expect(Date.parse(secondDone.started_at!)).toBeGreaterThanOrEqual(Date.parse(firstDone.ended_at!) - 50);
  });

  it("concurrent runs: a cancelled or failed run gives its slot back at once", async () => {
    const [a, b] = [await createSession({ agent_id: "q" }, KEYS.runs), await createSession({ agent_id: "q" }, KEYS.runs)];
    const hog = await submitted(a.id, KEYS.runs, "sleep 30");
    await untilStatus(a.id, hog.id, KEYS.runs, "running");
    const next = await submitted(b.id, KEYS.runs, "exit 3");
    await new Promise((r) => setTimeout(r, 300));
    expect((await getRun(b.id, next.id, KEYS.runs)).status).toBe("queued");
    expect((await api(`/v1/sessions/${a.id}/runs/${hog.id}/cancel`, { method: "POST", key: KEYS.runs })).status).toBe(200);
    expect((await waitRun(b.id, next.id, KEYS.runs)).status).toBe("failed");
    // The failed run gave its slot back too.
    const after = await submitted(a.id, KEYS.runs, "echo after");
    expect((await waitRun(a.id, after.id, KEYS.runs)).status).toBe("completed");
  });

  it("concurrent runs: a session restart that cuts its run off gives the slot back", async () => {
    const [a, b] = [await createSession({ agent_id: "q" }, KEYS.runs), await createSession({ agent_id: "q" }, KEYS.runs)];
    const cut = await submitted(a.id, KEYS.runs, "sleep 30");
    await untilStatus(a.id, cut.id, KEYS.runs, "running");
    const waiting = await submitted(b.id, KEYS.runs, "echo through");
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName(`tq_runs:${a.id}`));
    await runInDurableObject(stub, (_i, state) => {
      try {
        state.abort("quota test: restart");
      } catch {
        /* abort throws by design */
      }
    }).catch(() => undefined);
    // The fresh instance fails the interrupted run and releases its slot; the waiting run starts.
    expect((await waitRun(a.id, cut.id, KEYS.runs)).status).toBe("failed");
    const done = await waitRun(b.id, waiting.id, KEYS.runs);
    expect(done.status).toBe("completed");
    expect(done.output?.content).toBe("through\n");
  });

  it("leases: a slot whose session never renews it expires, so a crashed session cannot hold it forever", async () => {
    const t = ledger("tq_lease");
    expect(await t.startRun("tq_lease", "ses_gone", "run_held")).toMatchObject({ ok: true, value: { granted: true } });
    expect(await t.startRun("tq_lease", "ses_other", "run_wants")).toMatchObject({
      ok: true,
      value: { granted: false, running: 1, limit: 1 },
    });
    // Asking again for the run that holds the slot renews it; it is not a second slot.
    expect(await t.startRun("tq_lease", "ses_gone", "run_held")).toMatchObject({ ok: true, value: { granted: true, running: 1 } });
    // Time passes (the lease runs out) without a renewal.
    await runInDurableObject(t, (_i, state) => {
      state.storage.sql.exec(`UPDATE runs SET expires_at = 0 WHERE run_id = 'run_held'`);
    });
    expect(await t.startRun("tq_lease", "ses_other", "run_wants")).toMatchObject({ ok: true, value: { granted: true, running: 1 } });
    // A renewal from a session drops what it no longer lists (once old enough) and keeps what it does.
    await runInDurableObject(t, (_i, state) => {
      state.storage.sql.exec(`UPDATE runs SET since = 0`);
    });
    await t.syncSession("tq_lease", "ses_other", [], []);
    expect(await t.usage("tq_lease")).toMatchObject({ ok: true, value: { usage: { concurrent_runs: 0, queued_runs: 0 } } });
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { DeliveryState } from "../../src/core/webhook";
import { newId } from "../../src/core/ids";
import { webhooks } from "../../src/store/schema";
import { drizzle } from "drizzle-orm/d1";
import { api, appendEvents, createSession, json, KEY_B, note } from "./helpers";
import { testSessions } from "./support/test-session-do";

const sessions = testSessions(env);

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type Received = {
  deliveries: { headers: Record<string, string>; body: string; verified: boolean | null }[];
  attempts: number;
  failures_left: number;
  redirects_left: number;
};
type WebhookWithState = { id: string; session_id: string | null; url: string; delivery: DeliveryState };

// The sink runs on 127.0.0.1: the test bindings set WEBHOOK_ALLOW_LOOPBACK=1 (test/core/webhook-target.test.ts
// shows loopback refused without it).
const sinkUrl = () => (env as unknown as { WEBHOOK_SINK_URL: string }).WEBHOOK_SINK_URL;
const newChannel = () => `c${crypto.randomUUID().replace(/-/g, "")}`;
const control = (channel: string, body: Record<string, unknown>) =>
  fetch(`${sinkUrl()}/_control/${channel}`, { method: "POST", body: JSON.stringify(body) });
const received = async (channel: string) => (await (await fetch(`${sinkUrl()}/_received/${channel}`)).json()) as Received;
const sequencesOf = (r: Received) => r.deliveries.flatMap((d) => (JSON.parse(d.body) as { events: Event[] }).events.map((e) => e.sequence));
const stubOf = (sessionId: string, tenant = "tenant_a") => sessions.get(sessions.idFromName(`${tenant}:${sessionId}`));
const stateOf = (id: string, key?: string) => json<WebhookWithState>(api(`/v1/webhooks/${id}`, key ? { key } : {}));
/** A Standard Webhooks secret chosen by the caller, so the sink can verify the very first delivery. */
const ownSecret = () => `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

async function until<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 12_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createHook(body: Record<string, unknown>, key?: string): Promise<{ id: string; secret: string; url: string }> {
  const res = await api("/v1/webhooks", { method: "POST", json: body, ...(key ? { key } : {}) });
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; secret: string; url: string };
}

describe("webhook targets at creation", () => {
  it.each([
    ["https://10.0.0.1/hook", "private"],
    ["https://192.168.1.1/hook", "private"],
    ["https://3232235777/hook", "private"],
    ["https://[fd00::1]/hook", "private"],
    ["https://[::ffff:10.0.0.1]/hook", "private"],
    ["https://169.254.169.254/latest/meta-data/", "link_local"],
    ["https://0xa9fea9fe/", "link_local"],
    ["https://[fe80::1]/", "link_local"],
    ["https://[::ffff:169.254.169.254]/", "link_local"],
    ["https://100.64.0.1/", "carrier_grade_nat"],
    ["https://0.0.0.0/", "unspecified"],
    ["https://0/", "unspecified"],
    ["https://[::]/", "unspecified"],
    ["https://224.0.0.1/", "multicast"],
    ["https://255.255.255.255/", "broadcast"],
    ["https://240.0.0.1/", "reserved"],
    ["https://[64:ff9b::a9fe:a9fe]/", "reserved"],
    ["https://metadata.google.internal/computeMetadata/v1/", "metadata_host"],
    ["https://metadata/", "metadata_host"],
    ["https://instance-data/latest/", "metadata_host"],
    ["https://vault.internal/", "internal_host"],
    ["https://user:pass@example.com/hook", "credentials"],
    ["https://token@example.com/hook", "credentials"],
    ["http://example.com/hook", "insecure_scheme"],
    ["ftp://example.com/hook", "scheme"],
    ["file:///etc/passwd", "scheme"],
    ["example.com/hook", "invalid_url"],
  ])("refuses %s (%s)", async (url, reason) => {
    const res = await api("/v1/webhooks", { method: "POST", json: { url } });
    expect(res.status).toBe(400);
    const { error } = await json<ErrorBody>(res);
    expect(error.code).toBe("validation_error");
    expect(error.details).toMatchObject({ field: "url", reason });
    expect(error.message).toMatch(/^url /);
  });

  it("refuses URLs with credentials even on an allowed loopback target, and secrets not in the whsec_ format", async () => {
    const withCredentials = await api("/v1/webhooks", { method: "POST", json: { url: sinkUrl().replace("http://", "http://user:pass@") } });
    expect(withCredentials.status).toBe(400);
    expect((await json<ErrorBody>(withCredentials)).error.details.reason).toBe("credentials");
    const badSecret = await api("/v1/webhooks", {
      method: "POST",
      json: { url: `${sinkUrl()}/x`, secret: "a-plain-shared-secret-string" },
    });
    expect(badSecret.status).toBe(400);
    expect((await json<ErrorBody>(badSecret)).error.code).toBe("validation_error");
    expect((await json<{ items: unknown[] }>(api("/v1/webhooks"))).items).toEqual([]);
  });

  it("stores the URL as normalised, and returns a generated whsec_ secret once", async () => {
    const s = await createSession();
    const created = await createHook({ url: `${sinkUrl().replace("127.0.0.1", "2130706433")}/${newChannel()}`, session_id: s.id });
    expect(created.url.startsWith(sinkUrl())).toBe(true);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = await json<Record<string, unknown>>(api(`/v1/webhooks/${created.id}`));
    expect(shown.secret).toBeUndefined();
    expect((await json<{ items: Record<string, unknown>[] }>(api("/v1/webhooks"))).items.every((h) => h.secret === undefined)).toBe(true);
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(api("/openapi.json", { key: null }));
    expect(doc.paths["/v1/webhooks/{wid}"]?.get).toBeDefined();
  });
});

describe("webhook delivery", () => {
  it("delivers in order, signed per Standard Webhooks, retries failures with backoff and shows the state", async () => {
    const s = await createSession();
    const channel = newChannel();
    const secret = ownSecret();
    await control(channel, { fail: 2, secret });
    // Creating it delivers the backlog (session_created) at once: the first of the two injected failures.
    const hook = await createHook({ url: `${sinkUrl()}/${channel}`, session_id: s.id, secret });
    expect(hook.secret).toBe(secret);
    const afterOne = await stateOf(hook.id);
    expect(afterOne.delivery).toMatchObject({ consecutive_failures: 1, session_count: 1, last_success_at: null });
    expect(afterOne.delivery.sessions[0]).toMatchObject({ session_id: s.id, cursor: 0, last_status: 500, consecutive_failures: 1 });
    expect(afterOne.delivery.last_error).toMatch(/answered 500/);
    expect(Date.parse(afterOne.delivery.next_attempt_at!)).toBeGreaterThan(Date.parse(afterOne.delivery.last_attempt_at!));
    // New events do not cut the backoff short: a flush calls fan-out, the failing webhook keeps waiting.
    await appendEvents(s.id, [note("one"), note("two")]);
    await stubOf(s.id).fanOutNow();
    expect((await received(channel)).attempts).toBe(1);
    // The object's alarm retries: once more failing (500), then delivering everything.
    const afterTwo = await until(
      "the second failure",
      () => stateOf(hook.id),
      (h) => h.delivery.consecutive_failures === 2,
    );
    expect(afterTwo.delivery.sessions[0]!.last_status).toBe(500);
    await until(
      "delivery",
      () => received(channel),
      (r) => sequencesOf(r).includes(3),
    );
    await appendEvents(s.id, [note("three")]);
    const all = await until(
      "the fourth event",
      () => received(channel),
      (r) => sequencesOf(r).includes(4),
    );
    expect(sequencesOf(all)).toEqual([1, 2, 3, 4]);
    expect(all.failures_left).toBe(0);
    expect(all.attempts).toBe(2 + all.deliveries.length);
    // Each delivery was verified by the sink with the standardwebhooks library.
    expect(all.deliveries.map((d) => d.verified)).toEqual(all.deliveries.map(() => true));
    for (const d of all.deliveries) {
      expect(d.headers["webhook-id"]).toMatch(new RegExp(`^${hook.id}:${s.id}:\\d+-\\d+$`));
      expect(d.headers["x-asm-signature"]).toBeUndefined();
    }
    // The retried batch is the one that failed (same webhook-id), although more events had arrived meanwhile.
    expect(all.deliveries[0]!.headers["webhook-id"]).toBe(`${hook.id}:${s.id}:1-1`);
    const caughtUp = await until(
      "the state to catch up",
      () => stateOf(hook.id),
      (h) => h.delivery.sessions[0]!.cursor === 4,
    );
    expect(caughtUp.delivery).toMatchObject({ consecutive_failures: 0, last_error: null, next_attempt_at: null });
    expect(caughtUp.delivery.sessions[0]).toMatchObject({ last_status: 200, consecutive_failures: 0, last_error: null });
    expect(caughtUp.delivery.last_success_at).not.toBeNull();
  });

  it("a generated secret verifies with the library; a receiver with another secret refuses (401), recorded as a failure", async () => {
    const s = await createSession();
    const channel = newChannel();
    const hook = await createHook({ url: `${sinkUrl()}/${channel}`, session_id: s.id });
    await control(channel, { secret: hook.secret });
    await appendEvents(s.id, [note("signed")]);
    await stubOf(s.id).fanOutNow();
    const got = await received(channel);
    expect(got.deliveries.at(-1)!.verified).toBe(true);

    const other = newChannel();
    await control(other, { secret: ownSecret() });
    const wrong = await createHook({ url: `${sinkUrl()}/${other}`, session_id: s.id });
    expect((await received(other)).deliveries.map((d) => d.verified)).toEqual([false]);
    const state = await stateOf(wrong.id);
    expect(state.delivery).toMatchObject({ consecutive_failures: 1, sessions: [{ last_status: 401 }] });
  });

  it("never follows a redirect: the receiver gets exactly one request, the delivery fails and is retried", async () => {
    const s = await createSession();
    const channel = newChannel();
    await control(channel, { redirect: 1 });
    const hook = await createHook({ url: `${sinkUrl()}/${channel}`, session_id: s.id });
    const first = await received(channel);
    expect(first).toMatchObject({ attempts: 1, redirects_left: 0, deliveries: [] });
    // A follower would have landed on /<channel>-redirected.
    expect((await received(`${channel}-redirected`)).attempts).toBe(0);
    const failed = await stateOf(hook.id);
    expect(failed.delivery).toMatchObject({ consecutive_failures: 1, sessions: [{ last_status: 302, cursor: 0 }] });
    expect(failed.delivery.last_error).toMatch(/302.*redirects are not followed/);
    expect(failed.delivery.next_attempt_at).not.toBeNull();
    const retried = await until(
      "the retry",
      () => received(channel),
      (r) => r.deliveries.length === 1,
    );
    expect(retried.attempts).toBe(2);
    expect(sequencesOf(retried)).toEqual([1]);
    expect((await received(`${channel}-redirected`)).attempts).toBe(0);
    const ok = await until(
      "the state",
      () => stateOf(hook.id),
      (h) => h.delivery.consecutive_failures === 0,
    );
    expect(ok.delivery.sessions[0]).toMatchObject({ cursor: 1, last_status: 200, next_attempt_at: null });
  });

  it("re-checks the target at delivery: a stored webhook whose target is now forbidden is not called, the error is recorded", async () => {
    const s = await createSession();
    const channel = newChannel();
    // Written directly, as a row stored before the rules (creation would refuse it): credentials in the URL.
    const id = newId("wh");
    await drizzle(env.DB)
      .insert(webhooks)
      .values({
        id,
        tenantId: "tenant_a",
        sessionId: s.id,
        url: `${sinkUrl().replace("http://", "http://user:pass@")}/${channel}`,
        secret: ownSecret(),
        types: null,
        createdAt: new Date().toISOString(),
      });
    await stubOf(s.id).webhooksChanged();
    expect((await received(channel)).attempts).toBe(0);
    const state = await stateOf(id);
    expect(state.delivery).toMatchObject({ consecutive_failures: 1, sessions: [{ cursor: 0, last_status: null }] });
    expect(state.delivery.last_error).toMatch(/target refused \(credentials\)/);
  });

  it("a tenant-wide webhook keeps one state per session; another tenant's webhook is a 404", async () => {
    const channel = newChannel();
    const hook = await createHook({ url: `${sinkUrl()}/${channel}` }, KEY_B);
    const a = await createSession({ agent_id: "tenant-wide" }, KEY_B);
    const b = await createSession({ agent_id: "tenant-wide" }, KEY_B);
    for (const id of [a.id, b.id]) await stubOf(id, "tenant_b").fanOutNow();
    const state = await until(
      "both sessions",
      () => stateOf(hook.id, KEY_B),
      (h) => h.delivery.session_count === 2,
    );
    expect(state.session_id).toBeNull();
    expect(state.delivery.sessions.map((x) => x.session_id).sort()).toEqual([a.id, b.id].sort());
    expect(state.delivery.sessions.every((x) => x.cursor >= 1 && x.consecutive_failures === 0)).toBe(true);
    expect((await received(channel)).deliveries.length).toBeGreaterThanOrEqual(2);

    const foreign = await api(`/v1/webhooks/${hook.id}`);
    expect(foreign.status).toBe(404);
    expect((await json<ErrorBody>(foreign)).error.code).toBe("not_found");
    expect((await api(`/v1/webhooks/${hook.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/v1/webhooks/wh_${"0".repeat(32)}`)).status).toBe(404);
    expect((await api(`/v1/webhooks/${hook.id}`, { method: "DELETE", key: KEY_B })).status).toBe(200);
    expect((await api(`/v1/webhooks/${hook.id}`, { key: KEY_B })).status).toBe(404);
  });

  it("a session webhook added or removed applies at once, even after the object cached its webhook list", async () => {
    const s = await createSession();
    const stub = stubOf(s.id);
    // Loads (and caches) the list while it is still empty, as the first flush's fan-out does.
    expect((await stub.fanOutNow()).retry_in_ms).toBeNull();
    const channel = newChannel();
    const created = await createHook({ url: `${sinkUrl()}/${channel}`, session_id: s.id });
    // Registering it delivered the backlog (session_created) without waiting for the cache to expire.
    expect(sequencesOf(await received(channel))).toEqual([1]);
    await appendEvents(s.id, [note("one")]);
    await stub.fanOutNow();
    expect(sequencesOf(await received(channel))).toEqual([1, 2]);
    expect((await api(`/v1/webhooks/${created.id}`, { method: "DELETE" })).status).toBe(200);
    await appendEvents(s.id, [note("after delete")]);
    await stub.fanOutNow();
    expect(sequencesOf(await received(channel))).toEqual([1, 2]);
  });
});

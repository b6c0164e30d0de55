import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Session } from "../../src/core/session";
import { D1SessionStore } from "../../src/store/session-store";
import { api, appendEvents, createSession, json, KEY_B, note, readEvents } from "./helpers";

type List = { items: Session[]; next_cursor: string | null };
type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown>; retryable: boolean } };

describe("sessions", () => {
  it("creates, reads, updates status with events, and enforces transitions", async () => {
    const s = await createSession({ agent_id: "a1", tags: ["x", "x", "y"], metadata: { provider: "shell" } });
    expect(s).toMatchObject({ status: "pending", tags: ["x", "y"], tenant_id: "tenant_a", last_sequence: 1 });
    const activated = await json<Session>(api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "active", metadata: { k: 1 } } }));
    expect(activated.status).toBe("active");
    expect(activated.metadata).toEqual({ provider: "shell", k: 1 });
    const paused = await json<Session>(api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "paused" } }));
    const resumed = await json<Session>(api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "active" } }));
    expect([paused.status, resumed.status]).toEqual(["paused", "active"]);
    await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "completed" } });
    const bad = await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "active" } });
    expect(bad.status).toBe(409);
    expect((await json<ErrorBody>(bad)).error.code).toBe("invalid_transition");
    const types = (await readEvents(s.id)).events.map((e) => e.type);
    expect(types).toEqual(["session_created", "session_started", "session_paused", "session_resumed", "session_completed"]);
    expect((await readEvents(s.id)).events[0]!.data).toEqual({ provider: "shell" });
  });

  it("lists with filters and keyset cursors; an invalid cursor is 400 invalid_cursor", async () => {
    const agent = `lister-${crypto.randomUUID()}`;
    const made: Session[] = [];
    for (let i = 0; i < 7; i++) made.push(await createSession({ agent_id: agent, tags: i % 2 ? ["odd"] : ["even"] }));
    await api(`/v1/sessions/${made[0]!.id}`, { method: "PATCH", json: { status: "active" } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: List = await json<List>(api(`/v1/sessions?agent_id=${agent}&limit=3${cursor ? `&cursor=${cursor}` : ""}`));
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((x) => x.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(7);
    expect(seen).toEqual([...made].reverse().map((m) => m.id));
    const odd = await json<List>(api(`/v1/sessions?agent_id=${agent}&tag=odd`));
    expect(odd.items.map((x) => x.id).sort()).toEqual(
      made
        .filter((_, i) => i % 2)
        .map((m) => m.id)
        .sort(),
    );
    const active = await json<List>(api(`/v1/sessions?agent_id=${agent}&status=active`));
    expect(active.items.map((x) => x.id)).toEqual([made[0]!.id]);
    const since = await json<List>(api(`/v1/sessions?agent_id=${agent}&created_since=${encodeURIComponent(made[5]!.created_at)}`));
    expect(since.items.map((x) => x.id).sort()).toEqual([made[5]!.id, made[6]!.id].sort());
    const until = await json<List>(api(`/v1/sessions?agent_id=${agent}&created_until=${encodeURIComponent(made[0]!.created_at)}`));
    expect(until.items.map((x) => x.id)).toEqual([made[0]!.id]);
    for (const bad of ["garbage!", btoa(JSON.stringify({ k: "runs", o: "x", v: 1, i: "a" })), "eyJ"]) {
      const res = await api(`/v1/sessions?cursor=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect((await json<ErrorBody>(res)).error.code).toBe("invalid_cursor");
    }
  });

  it("soft-deletes by default and hard-deletes session, runs and events from D1", async () => {
    const soft = await createSession();
    const del = await api(`/v1/sessions/${soft.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect((await api(`/v1/sessions/${soft.id}`)).status).toBe(404);
    const withDeleted = await json<Session>(api(`/v1/sessions/${soft.id}?include_deleted=true`));
    expect(withDeleted.deleted_at).not.toBeNull();
    const store = new D1SessionStore(env.DB);
    expect((await store.getSession("tenant_a", soft.id))?.deleted_at).not.toBeNull();

    const hard = await createSession();
    await appendEvents(hard.id, [note("a"), note("b")]);
    await api(`/v1/sessions/${hard.id}/events?wait_ms=0`);
    const res = await api(`/v1/sessions/${hard.id}?hard=true`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await store.getSession("tenant_a", hard.id)).toBeNull();
    expect(await store.countEvents("tenant_a", hard.id)).toBe(0);
    expect((await api(`/v1/sessions/${hard.id}?include_deleted=true`)).status).toBe(404);
    expect((await api(`/v1/sessions/${hard.id}/events`)).status).toBe(404);
  });
});

describe("auth and tenancy", () => {
  it("401s without a key or with a wrong one, and hides other tenants' sessions as 404", async () => {
    const s = await createSession();
    const none = await api(`/v1/sessions/${s.id}`, { key: null });
    expect(none.status).toBe(401);
    expect((await json<ErrorBody>(none)).error.code).toBe("unauthorized");
    expect((await api(`/v1/sessions/${s.id}`, { key: "wrong" })).status).toBe(401);
    for (const [method, path, body] of [
      ["GET", `/v1/sessions/${s.id}`, undefined],
      ["PATCH", `/v1/sessions/${s.id}`, { status: "active" }],
      ["DELETE", `/v1/sessions/${s.id}?hard=true`, undefined],
      ["GET", `/v1/sessions/${s.id}/events`, undefined],
      ["POST", `/v1/sessions/${s.id}/events`, { events: [note("intrude")] }],
    ] as const) {
      const res = await api(path, { method, key: KEY_B, ...(body ? { json: body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const listB = await json<List>(api(`/v1/sessions?limit=200`, { key: KEY_B }));
    expect(listB.items.some((x) => x.id === s.id)).toBe(false);
    const mine = await json<Session>(api(`/v1/sessions/${s.id}`));
    expect(mine.status).toBe("pending");
    expect((await readEvents(s.id)).latest_sequence).toBe(1);
  });

  it("serves the OpenAPI document and docs without a key", async () => {
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(api("/openapi.json", { key: null }));
    expect(doc.paths["/v1/sessions/{id}/events"]).toBeDefined();
    const docs = await api("/docs", { key: null });
    expect(docs.status).toBe(200);
    // Offline: every script and stylesheet is one of the Worker's own assets (test/node/docs-assets.test.ts checks
    // they exist in web/), never a CDN's.
    const html = await docs.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) expect(asset).toMatch(/^\/vendor\/swagger-ui\//);
  });
});

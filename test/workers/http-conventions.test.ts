import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../src/core/errors";
import type { Run } from "../../src/core/run";
import type { Session } from "../../src/core/session";
import { checkResponse } from "./contract";
import { api, appendEvents, createSession, json, KEY_A, KEY_B, note } from "./helpers";
import { submitRun, waitRun } from "./runs-helpers";

type Err = ErrorBody["error"];

describe("the contract check behind api()", () => {
  it("fails responses the spec does not allow: an undeclared status, a missing header, a body off its schema", async () => {
    const url = "https://asm.test/v1/sessions/ses_00000000000000000000000000000000";
    const body = (value: unknown, status = 200, headers: Record<string, string> = { etag: '"1"' }) =>
      new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });
    await expect(
      checkResponse("GET", url, body({ error: { code: "forbidden", message: "x", details: {}, retryable: false } }, 418)),
    ).rejects.toThrow(/status not declared/);
    await expect(checkResponse("GET", url, body({ id: "x" }, 200, {}))).rejects.toThrow(/missing header ETag/);
    await expect(checkResponse("GET", url, body({ id: "x" }))).rejects.toThrow(/getSession/);
    await expect(
      checkResponse("GET", url, body({ error: { code: "not_a_code", message: "x", details: {}, retryable: false } }, 404)),
    ).rejects.toThrow(/code/);
    await expect(checkResponse("DELETE", "https://asm.test/v1/sessions", body({}, 404, {}))).rejects.toThrow(/expected 405/);
    await expect(checkResponse("GET", "https://asm.test/docs", body({}, 200, {}))).resolves.toBeUndefined();
  });
});

describe("HTTP conventions", () => {
  it("Location on 201 and 202, and it reads back the resource", async () => {
    const created = await api("/v1/sessions", { method: "POST", json: { agent_id: "a" } });
    expect(created.status).toBe(201);
    const session = await json<Session>(created);
    expect(created.headers.get("location")).toBe(`/v1/sessions/${session.id}`);
    const accepted = await api(`/v1/sessions/${session.id}/runs`, { method: "POST", json: { provider: "shell", input: "true" } });
    expect(accepted.status).toBe(202);
    const run = await json<Run>(accepted);
    expect(accepted.headers.get("location")).toBe(`/v1/sessions/${session.id}/runs/${run.id}`);
    expect((await api(accepted.headers.get("location")!)).status).toBe(200);
    await waitRun(session.id, run.id);
  });

  it("401 says how to authenticate; a key in the URL is refused with a hint, even beside a valid header", async () => {
    const res = await api("/v1/sessions", { key: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const s = await createSession();
    const inUrl = await api(`/v1/sessions/${s.id}?api_key=${KEY_A}`);
    expect(inUrl.status).toBe(401);
    expect((await json<ErrorBody>(inUrl)).error.message).toMatch(/stream-token/);
  });

  it("405 with Allow for a known path and a wrong method; 404 for an unknown path", async () => {
    const s = await createSession();
    const res = await api(`/v1/sessions/${s.id}`, { method: "PUT", json: { agent_id: "x" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")?.split(", ")).toEqual(expect.arrayContaining(["DELETE", "GET", "PATCH"]));
    expect((await json<{ error: Err }>(res)).error.code).toBe("method_not_allowed");
    expect((await api("/v1/nothing-here")).status).toBe(404);
  });

  it("415 for a body that is not JSON", async () => {
    const res = await api("/v1/sessions", {
      method: "POST",
      body: "agent_id=a",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect((await json<{ error: Err }>(res)).error.code).toBe("unsupported_media_type");
  });

  it("ETag and If-None-Match (304) on sessions and runs; If-Match (412) on PATCH", async () => {
    const s = await createSession();
    const first = await api(`/v1/sessions/${s.id}`);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await api(`/v1/sessions/${s.id}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);

    const stale = await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { tags: ["x"] }, headers: { "if-match": '"0000"' } });
    expect(stale.status).toBe(412);
    expect((await json<{ error: Err }>(stale)).error.code).toBe("precondition_failed");
    const fresh = await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { tags: ["x"] }, headers: { "if-match": etag } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("etag")).not.toBe(etag);
    expect((await api(`/v1/sessions/${s.id}`, { headers: { "if-none-match": etag } })).status).toBe(200);

    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "true" })).id);
    const got = await api(`/v1/sessions/${s.id}/runs/${run.id}`);
    expect((await api(`/v1/sessions/${s.id}/runs/${run.id}`, { headers: { "if-none-match": got.headers.get("etag")! } })).status).toBe(304);
  });

  it("CORS: a preflight from an allowed origin is answered before auth; other origins get no grant", async () => {
    const preflight = await SELF.fetch("https://asm.test/v1/sessions", {
      method: "OPTIONS",
      headers: {
        origin: "https://dash.asm.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://dash.asm.test");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const actual = await api("/v1/sessions", { headers: { origin: "https://dash.asm.test" } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("https://dash.asm.test");
    expect(actual.headers.get("access-control-expose-headers")).toMatch(/location/);
    const other = await api("/v1/sessions", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a query cursor minted for one tenant is 400 invalid_cursor for another", async () => {
    for (let i = 0; i < 3; i++) await createSession({ agent_id: "cursor-owner" });
    const page = await json<{ next_cursor: string | null }>(api("/v1/sessions?limit=1"));
    expect(page.next_cursor).not.toBeNull();
    const res = await api(`/v1/sessions?limit=1&cursor=${page.next_cursor}`, { key: KEY_B });
    expect(res.status).toBe(400);
    expect((await json<{ error: Err }>(res)).error.code).toBe("invalid_cursor");
  });
});

describe("browser streaming with stream tokens", () => {
  async function mint(sessionId: string, key = KEY_A): Promise<string> {
    const res = await api(`/v1/sessions/${sessionId}/stream-token`, { method: "POST", key });
    expect(res.status).toBe(200);
    return (await json<{ token: string }>(res)).token;
  }

  /** Reads an SSE body until `done` says so, then cancels it. */
  async function readSse(res: Response, done: (text: string) => boolean): Promise<string> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!done(text)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    return text;
  }

  it("a token opens its session's SSE as plain messages with a retry hint, resuming from Last-Event-ID", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("one"), note("two"), note("three")]);
    const token = await mint(s.id);
    const res = await api(`/v1/sessions/${s.id}/events?format=message&token=${encodeURIComponent(token)}`, {
      key: null,
      headers: { accept: "text/event-stream", "last-event-id": "1" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await readSse(res, (t) => t.includes("id: 3"));
    expect(text.startsWith("retry: ")).toBe(true);
    expect(text).not.toMatch(/^event:/m);
    expect(text).not.toContain("id: 1\n");
    const frames = [...text.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!) as { sequence: number; type: string });
    expect(frames.map((f) => [f.sequence, f.type])).toEqual([
      [2, "message_sent"],
      [3, "message_sent"],
    ]);
  });

  it("typed SSE (the default) keeps event names for existing clients", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("one")]);
    const res = await api(`/v1/sessions/${s.id}/events`, { headers: { accept: "text/event-stream" } });
    const text = await readSse(res, (t) => t.includes("id: 2"));
    expect(text).toMatch(/^event: message_sent$/m);
  });

  it("a token opens only its own session's streams, nothing else, and never another tenant's", async () => {
    const s = await createSession();
    const other = await createSession();
    const token = await mint(s.id);
    const wrongSession = await api(`/v1/sessions/${other.id}/events?token=${encodeURIComponent(token)}`, {
      key: null,
      headers: { accept: "text/event-stream" },
    });
    expect(wrongSession.status).toBe(401);
    const notAStream = await api(`/v1/sessions/${s.id}/events?token=${encodeURIComponent(token)}`, { key: null });
    expect(notAStream.status).toBe(401);
    const forged = await api(`/v1/sessions/${s.id}/events?token=${encodeURIComponent(`${token}x`)}`, {
      key: null,
      headers: { accept: "text/event-stream" },
    });
    expect(forged.status).toBe(401);
    expect((await api(`/v1/sessions/${s.id}/stream-token`, { method: "POST", key: KEY_B })).status).toBe(404);
    const ws = await api(`/v1/sessions/${s.id}/ws?token=${encodeURIComponent(token)}`, { key: null, headers: { upgrade: "websocket" } });
    expect(ws.status).toBe(101);
    ws.webSocket?.accept();
    ws.webSocket?.close();
  });
});

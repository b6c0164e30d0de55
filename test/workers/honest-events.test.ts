import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import { api, appendEvents, createSession, json, note, readEvents } from "./helpers";
import { submitRun, waitRun } from "./runs-helpers";
import { testSessions } from "./support/test-session-do";

const sessions = testSessions(env);

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown>; retryable: boolean } };

const bindings = env as unknown as Record<string, string>;
const MAX_DEPTH = Number(bindings.MAX_JSON_DEPTH ?? 64);
const stubOf = (sessionId: string) => sessions.get(sessions.idFromName(`tenant_a:${sessionId}`));

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody["error"]> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error).toMatchObject({ code, retryable: false });
  expect(typeof body.error.message).toBe("string");
  expect(body.error.details).toBeTypeOf("object");
  return body.error;
}

/** JSON text of `{"a":{"a":…{}…}}` with `depth` objects, built as text (no recursion anywhere). */
const deepObject = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

const postRaw = (path: string, body: string, method = "POST") =>
  api(path, { method, body, headers: { "content-type": "application/json" } });

describe("event origin", () => {
  it("marks the service's events service and a client's client, on reads, SSE, WebSocket, D1 and /v1/query", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("from the client")]);
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo hi" })).id);
    expect(run.status).toBe("completed");
    const { events } = await readEvents(s.id, "limit=1000");
    const origins = (list: Event[]) => list.map((e) => `${e.type}:${e.origin}`);
    expect(origins(events.slice(0, 2))).toEqual(["session_created:service", "message_sent:client"]);
    expect(events.filter((e) => e.run_id === run.id).every((e) => e.origin === "service")).toBe(true);

    const sse = await api(`/v1/sessions/${s.id}/events`, { headers: { accept: "text/event-stream" } });
    const reader = sse.body!.getReader();
    let text = "";
    while (!text.includes('"from the client"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain('"origin":"client"');
    expect(text).toContain('"origin":"service"');

    const socket = await api(`/v1/sessions/${s.id}/ws?from_sequence=1`, { headers: { upgrade: "websocket" } });
    const ws = socket.webSocket!;
    ws.accept();
    const first = await new Promise<Event>((resolve) =>
      ws.addEventListener("message", (m) => resolve(JSON.parse(m.data as string) as Event)),
    );
    ws.close(1000, "done");
    expect(first).toMatchObject({ sequence: 1, origin: "service" });

    await stubOf(s.id).flushNow();
    const rows = await env.DB.prepare("SELECT sequence, origin FROM events WHERE session_id = ? ORDER BY sequence")
      .bind(s.id)
      .all<{ sequence: number; origin: string }>();
    expect(rows.results.map((r) => r.origin)).toEqual(events.map((e) => e.origin));
    const queried = await json<{ items: Event[] }>(api(`/v1/query/events?session_id=${s.id}&limit=1000`));
    expect(queried.items.find((e) => e.type === "message_sent" && e.run_id === null)?.origin).toBe("client");
    expect(queried.items.find((e) => e.type === "run_completed")?.origin).toBe("service");
  });
});

describe("impersonation", () => {
  it.each([
    "run_completed",
    "run_failed",
    "run_started",
    "tool_approval_granted",
    "tool_approval_requested",
    "policy_violation",
    "message_received",
    "tool_call_completed",
    "artifact_stored",
  ])("a client cannot append %s for a run the service owns (409 event_impersonation, nothing stored)", async (type) => {
    const s = await createSession();
    const run = await submitRun(s.id, { provider: "shell", input: "echo owned" });
    const error = await expectError(
      await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note("fine"), { type, run_id: run.id, data: {} }] } }),
      409,
      "event_impersonation",
    );
    expect(error.details).toMatchObject({ index: 1, type, run_id: run.id, reason: "service_run" });
    await waitRun(s.id, run.id);
    const after = await readEvents(s.id, "limit=1000");
    expect(after.events.filter((e) => e.run_id === run.id).every((e) => e.origin === "service")).toBe(true);
    expect(after.events.some((e) => e.data.content === "fine")).toBe(false);
  });

  it("the service's run id shape is reserved even when the run lives in another session", async () => {
    const other = await createSession();
    const foreign = await submitRun(other.id, { provider: "shell", input: "echo elsewhere" });
    const s = await createSession();
    const error = await expectError(
      await api(`/v1/sessions/${s.id}/events`, {
        method: "POST",
        json: { events: [{ type: "run_completed", run_id: foreign.id, data: {} }] },
      }),
      409,
      "event_impersonation",
    );
    expect(error.details.reason).toBe("service_run");
  });

  it("session lifecycle events are the service's: a client changes status through PATCH", async () => {
    const s = await createSession();
    for (const type of ["session_completed", "session_started", "session_created"]) {
      const error = await expectError(
        await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [{ type, data: {} }] } }),
        409,
        "event_impersonation",
      );
      expect(error.details).toMatchObject({ reason: "session_lifecycle", type });
    }
    expect((await json<{ status: string }>(api(`/v1/sessions/${s.id}`))).status).toBe("pending");
  });

  it("a client may append any other type without a run id, or for a run of its own, stored as origin client", async () => {
    const s = await createSession();
    const stored = await appendEvents(s.id, [
      { type: "run_started", run_id: "my-agent-run-1", data: {} },
      { type: "tool_approval_granted", run_id: "my-agent-run-1", data: { tool_name: "bash" } },
      { type: "policy_violation", run_id: "my-agent-run-1", data: { policy: "mine", kind: "budget" } },
      { type: "run_completed", run_id: "my-agent-run-1", data: { stop_reason: "end_turn" } },
      { type: "error_occurred", data: { error_message: "client-side" } },
      // A client cannot claim the service wrote it: the field is not part of what a client sends.
      { type: "message_received", data: { role: "assistant", content: "hi" }, origin: "service" },
    ]);
    expect(stored.map((e) => e.origin)).toEqual(["client", "client", "client", "client", "client", "client"]);
  });
});

describe("JSON nesting limit", () => {
  it(`accepts ${MAX_DEPTH} levels and refuses ${MAX_DEPTH + 1} with 400 validation_error`, async () => {
    const s = await createSession();
    // {"events":[{"type":…,"data":{…}}]} puts data at level 4.
    const event = (dataDepth: number) => `{"events":[{"type":"message_sent","data":${deepObject(dataDepth)}}]}`;
    expect((await postRaw(`/v1/sessions/${s.id}/events`, event(MAX_DEPTH - 3))).status).toBe(201);
    const error = await expectError(await postRaw(`/v1/sessions/${s.id}/events`, event(MAX_DEPTH - 2)), 400, "validation_error");
    expect(error.details.max_depth).toBe(MAX_DEPTH);
  });

  it("answers 5,000 and 200,000 levels with 400 on every JSON body route, never 500, and stores nothing", async () => {
    const s = await createSession();
    const run = await submitRun(s.id, { provider: "shell", input: "echo x" });
    await waitRun(s.id, run.id);
    const before = (await readEvents(s.id)).latest_sequence;
    const routes: [string, string][] = [
      ["POST", "/v1/sessions"],
      ["PATCH", `/v1/sessions/${s.id}`],
      ["POST", `/v1/sessions/${s.id}/events`],
      ["POST", `/v1/sessions/${s.id}/runs`],
      ["POST", `/v1/sessions/${s.id}/runs/${run.id}/approvals/tc_1`],
      ["POST", "/v1/webhooks"],
      ["POST", "/v1/maintenance/retention"],
    ];
    for (const [method, path] of routes) {
      for (const body of [`{"metadata":${deepObject(5_000)}}`, `{"events":[{"type":"message_sent","data":{"x":${deepArray(200_000)}}}]}`]) {
        await expectError(await postRaw(path, body, method), 400, "validation_error");
      }
    }
    expect((await readEvents(s.id)).latest_sequence).toBe(before);
  });

  it("brackets inside strings do not count", async () => {
    const s = await createSession();
    const [stored] = await appendEvents(s.id, [note("[".repeat(5_000) + "{".repeat(5_000))]);
    expect(String(stored!.data.content)).toHaveLength(10_000);
  });
});

describe("sizes count UTF-8 bytes", () => {
  it("an event under the limit in characters but over it in bytes is 413", async () => {
    const s = await createSession();
    const limit = Number(bindings.MAX_EVENT_DATA_BYTES ?? 262_144);
    const euros = "€".repeat(Math.floor(limit / 2)); // half the limit in characters, 1.5× it in bytes
    const error = await expectError(
      await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note(euros)] } }),
      413,
      "payload_too_large",
    );
    expect(error.details.size as number).toBeGreaterThan(limit);
    // The same number of ASCII characters fits.
    expect(
      (await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: { events: [note("e".repeat(Math.floor(limit / 2)))] } })).status,
    ).toBe(201);
  });

  it("a body under MAX_BODY_BYTES in characters but over it in bytes is 413", async () => {
    const s = await createSession();
    const max = Number(bindings.MAX_BODY_BYTES ?? 1_048_576);
    const body = JSON.stringify({ events: [note("€".repeat(Math.floor(max / 2)))] });
    expect(body.length).toBeLessThan(max);
    await expectError(await postRaw(`/v1/sessions/${s.id}/events`, body), 413, "payload_too_large");
  });
});

describe("Idempotency-Key", () => {
  it("the same key and body return the same run; the same key with another body is 422 idempotency_key_reused", async () => {
    const s = await createSession();
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    const body = { provider: "shell", input: { command: "echo once", args: [] }, metadata: { a: 1, b: 2 } };
    const first = await submitRun(s.id, body, headers);
    const again = await submitRun(s.id, body, headers);
    expect(again.id).toBe(first.id);
    // Key order does not make it another request.
    const reordered = await submitRun(
      s.id,
      { metadata: { b: 2, a: 1 }, input: { args: [], command: "echo once" }, provider: "shell" },
      headers,
    );
    expect(reordered.id).toBe(first.id);
    const error = await expectError(
      await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { ...body, input: { command: "echo twice" } }, headers }),
      422,
      "idempotency_key_reused",
    );
    expect(error.details).toMatchObject({ idempotency_key: headers["idempotency-key"], run_id: first.id });
    await waitRun(s.id, first.id);
    const runs = await json<{ items: Run[] }>(api(`/v1/sessions/${s.id}/runs`));
    expect(runs.items.map((r) => r.id)).toEqual([first.id]);
    // A different key is a new run.
    const other = await submitRun(s.id, { ...body, input: { command: "echo twice" } }, { "idempotency-key": `key-${crypto.randomUUID()}` });
    expect(other.id).not.toBe(first.id);
  });
});

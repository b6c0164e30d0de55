import { SELF } from "cloudflare:test";
import { afterEach } from "vitest";
import type { Event, EventPage } from "../../src/core/event";
import type { Session } from "../../src/core/session";
import { checkResponse } from "./contract";

export const KEY_A = "test_key_a";
export const KEY_B = "test_key_b";

/** Contract checks of the current test's responses, settled after it (so they never slow the test's own timing). */
const contractChecks: Promise<void>[] = [];
afterEach(async () => {
  await Promise.all(contractChecks.splice(0));
});

/**
 * Calls the Worker under test (the real app, in this isolate) and checks the response against the OpenAPI
 * document (contract.ts): a response the spec does not allow fails the calling test.
 */
export async function api(path: string, init: RequestInit & { key?: string | null; json?: unknown } = {}): Promise<Response> {
  const request = buildRequest(path, init);
  const res = await SELF.fetch(request);
  // checkResponse clones the body before its first await, so the caller may read the response at once.
  const check = checkResponse(request.method, request.url, res);
  check.catch(() => undefined);
  contractChecks.push(check);
  return res;
}

function buildRequest(path: string, init: RequestInit & { key?: string | null; json?: unknown }): Request {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? KEY_A : init.key;
  if (key) headers.set("authorization", `Bearer ${key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return new Request(`https://asm.test${path}`, { ...init, headers, body });
}

export async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

export async function createSession(body: Record<string, unknown> = { agent_id: "agent-1" }, key = KEY_A): Promise<Session> {
  const res = await api("/v1/sessions", { method: "POST", json: body, key });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${await res.text()}`);
  return (await res.json()) as Session;
}

export async function appendEvents(sessionId: string, events: Record<string, unknown>[], key = KEY_A): Promise<Event[]> {
  const res = await api(`/v1/sessions/${sessionId}/events`, { method: "POST", json: { events }, key });
  if (res.status !== 201) throw new Error(`append: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { events: Event[] }).events;
}

export async function readEvents(sessionId: string, query = ""): Promise<EventPage> {
  const res = await api(`/v1/sessions/${sessionId}/events${query ? `?${query}` : ""}`);
  if (res.status !== 200) throw new Error(`read: ${res.status} ${await res.text()}`);
  return (await res.json()) as EventPage;
}

export function note(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "message_sent", data: { role: "user", content: text, ...extra } };
}

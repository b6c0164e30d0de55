/**
 * A short walk through the API with a client generated from the spec (openapi-typescript → dist/openapi-types.ts):
 * create a session, append an event, read the log, submit a run, wait for it. `npm run check:openapi-client`
 * generates the types and type-checks this file, so a spec that stops describing this walk fails CI. Nothing here
 * is hand-typed: bodies, parameters and answers all come from `paths`.
 */
import type { components, paths } from "../../dist/openapi-types";

type Method = "get" | "post" | "patch" | "delete";
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonBody<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type Ok<O> = O extends { responses: infer R }
  ? { [S in keyof R]: S extends 200 | 201 | 202 ? (R[S] extends { content: { "application/json": infer B } } ? B : never) : never }[keyof R]
  : never;
type Params<O> = O extends { parameters: { path?: infer A } }
  ? A extends Record<string, string>
    ? A
    : Record<string, never>
  : Record<string, never>;
type Query<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A typed call: the path template, its parameters, query and body, and the JSON answer, all from the spec. */
async function call<P extends keyof paths, M extends Method>(
  baseUrl: string,
  key: string,
  method: M,
  path: P,
  opts: { params?: Params<Op<P, M>>; query?: Query<Op<P, M>>; body?: JsonBody<Op<P, M>> } = {},
): Promise<Ok<Op<P, M>>> {
  const filled = String(path).replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent((opts.params as Record<string, string>)[name]!),
  );
  const url = new URL(filled, baseUrl);
  for (const [k, v] of Object.entries((opts.query ?? {}) as Record<string, unknown>))
    if (v !== undefined) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method: method.toUpperCase(),
    headers: { authorization: `Bearer ${key}`, ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (!res.ok) throw new Error(`${method} ${filled}: ${res.status}`);
  return (await res.json()) as Ok<Op<P, M>>;
}

export async function walk(baseUrl: string, key: string): Promise<components["schemas"]["Run"]> {
  const session: components["schemas"]["Session"] = await call(baseUrl, key, "post", "/v1/sessions", {
    body: { agent_id: "walker", tags: ["demo"] },
  });
  const appended = await call(baseUrl, key, "post", "/v1/sessions/{id}/events", {
    params: { id: session.id },
    body: { events: [{ type: "message_sent", data: { role: "user", content: "hello" } }] },
  });
  const first: components["schemas"]["Event"] | undefined = appended.events[0];
  if (first?.type === "message_sent") {
    // Narrowed by the discriminator: this is a MessageSentEvent, its data a MessageSentData.
    const role: string | null | undefined = first.data.role;
    void role;
  }
  const page = await call(baseUrl, key, "get", "/v1/sessions/{id}/events", { params: { id: session.id }, query: { after: 0, limit: 10 } });
  const latest: number = page.latest_sequence;
  void latest;
  const run = await call(baseUrl, key, "post", "/v1/sessions/{id}/runs", {
    params: { id: session.id },
    body: { provider: "shell", input: { command: "echo", args: ["hi"] }, policy: { name: "p", tool_rules: [{ deny: ["rm"] }] } },
  });
  const status: components["schemas"]["RunStatus"] = run.status;
  void status;
  return call(baseUrl, key, "get", "/v1/sessions/{id}/runs/{rid}/wait", {
    params: { id: session.id, rid: run.id },
    query: { timeout_ms: 30_000 },
  });
}

import { describe, expect, it } from "vitest";
import { AsmClient } from "../../../client/client";
import { AsmError } from "../../../client/errors";
import { parseSse } from "../../../client/sse";
import type { Event } from "../../../src/core/event";

const SESSION = "ses_4f1c2b7a9d0e4c6b8a1f2e3d4c5b6a70";
const RUN = "run_0123456789abcdef0123456789abcdef";

const event = (sequence: number, type: Event["type"], data: Record<string, unknown> = {}): Event => ({
  id: `evt_${String(sequence).padStart(32, "0")}`,
  session_id: SESSION,
  run_id: RUN,
  sequence,
  type,
  timestamp: "2026-01-01T00:00:00.000Z",
  provider: "shell",
  correlation_id: null,
  schema_version: 1,
  origin: "service",
  data,
  metadata: {},
});

const frame = (e: Event) => `id: ${e.sequence}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/** A fake fetch answering POST …/runs with an SSE body cut into awkward chunks; records what was asked. */
function sseFetch(body: string, seen: Array<{ url: string; method: string; headers: Headers; body: unknown }>): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    seen.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: JSON.parse(String(init?.body)),
    });
    // Seven-byte chunks cut lines, frames and multi-byte characters mid-way.
    const bytes = new TextEncoder().encode(body);
    let at = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= bytes.length) return c.close();
          c.enqueue(bytes.slice(at, at + 7));
          at += 7;
        },
      }),
      { status: 200, headers: { "content-type": "text/event-stream", location: `/v1/sessions/${SESSION}/runs/${RUN}` } },
    );
  }) as typeof fetch;
}

describe("streamRun (create-and-stream)", () => {
  const events = [
    event(4, "run_queued"),
    event(5, "run_started"),
    event(6, "tool_call_completed", { output: "héllo\n→ wörld" }),
    event(7, "run_completed", { stop_reason: "end_turn" }),
  ];

  it("posts the run with Accept: text/event-stream and yields its events through the end event, skipping retry and heartbeats", async () => {
    const seen: Parameters<typeof sseFetch>[1] = [];
    const body = `retry: 3000\n\n: heartbeat\n\n${frame(events[0]!)}${frame(events[1]!)}: heartbeat\n\n${frame(events[2]!)}${frame(events[3]!)}`;
    // A frame after the end event (the server never sends one) must not be yielded.
    const client = new AsmClient({
      baseUrl: "http://asm.invalid",
      apiKey: "k",
      fetch: sseFetch(`${body}${frame(event(8, "run_started"))}`, seen),
    });
    const got: Event[] = [];
    for await (const e of client.streamRun(SESSION, { provider: "shell", input: { command: "echo" } }, { idempotencyKey: "idem-1" }))
      got.push(e);
    expect(got).toEqual(events);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ url: `http://asm.invalid/v1/sessions/${SESSION}/runs`, method: "POST", body: { provider: "shell" } });
    expect(seen[0]!.headers.get("accept")).toBe("text/event-stream");
    expect(seen[0]!.headers.get("idempotency-key")).toBe("idem-1");
    expect(seen[0]!.headers.get("authorization")).toBe("Bearer k");
  });

  it("a stream that ends before the run's end event is a retryable network_error, after the events it did carry", async () => {
    const client = new AsmClient({
      baseUrl: "http://asm.invalid",
      apiKey: "k",
      fetch: sseFetch(events.slice(0, 2).map(frame).join(""), []),
    });
    const got: number[] = [];
    const failure = await (async () => {
      for await (const e of client.streamRun(SESSION, { provider: "shell", input: { command: "echo" } })) got.push(e.sequence);
    })().catch((err: unknown) => err);
    expect(got).toEqual([4, 5]);
    expect(failure).toBeInstanceOf(AsmError);
    expect(failure).toMatchObject({ code: "network_error", retryable: true });
  });

  it("a JSON error before the run is stored is the usual AsmError", async () => {
    const client = new AsmClient({
      baseUrl: "http://asm.invalid",
      apiKey: "k",
      fetch: (async () =>
        Response.json(
          { error: { code: "validation_error", message: "bad body", details: {}, retryable: false } },
          { status: 400 },
        )) as unknown as typeof fetch,
    });
    const failure = await (async () => {
      for await (const _ of client.streamRun(SESSION, { provider: "shell", input: { command: "echo" } })) void _;
    })().catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: "validation_error", status: 400 });
  });
});

describe("parseSse", () => {
  it("joins multi-line data, accepts CRLF, keeps id and event, and yields a last frame without its blank line", async () => {
    async function* chunks() {
      yield "id: 1\r\nevent: a\r\ndata: x\r\n";
      yield "data: y\r\n\r\n:comment\n\nid: 2\ndata:z";
    }
    const frames = [];
    for await (const f of parseSse(chunks())) frames.push(f);
    expect(frames).toEqual([
      { id: "1", event: "a", data: "x\ny" },
      { id: "2", event: null, data: "z" },
    ]);
  });
});

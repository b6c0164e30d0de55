import { RUN_TERMINAL_EVENT_TYPES } from "../core/event-types";
import type { sessionStub } from "./session-stub";
import { reframeSse } from "./sse-format";

/** How long an EventSource waits before reconnecting (the stream's `retry:` line); the same as the events read. */
const SSE_RETRY_MS = 3_000;
const TERMINAL: ReadonlySet<string> = new Set(RUN_TERMINAL_EVENT_TYPES);

/** Whether the request asks for Server-Sent Events rather than JSON. */
export function wantsEventStream(accept: string | undefined): boolean {
  return accept?.toLowerCase().includes("text/event-stream") ?? false;
}

/**
 * Create-and-stream: the session's SSE stream filtered to one run, replayed from the log's start (so a run that
 * already moved on, or a repeated Idempotency-Key, still gets every event from run_queued) and ended right after
 * the run's terminal event. Frames keep `id:` = sequence, so a client cut off midway resumes with the normal events
 * read (`?run_id=` and Last-Event-ID).
 */
export async function streamRunEvents(stub: ReturnType<typeof sessionStub>, runId: string): Promise<Response> {
  const url = new URL("https://session/sse");
  url.searchParams.set("from", "1");
  url.searchParams.set("run_id", runId);
  // Only what the stream needs: the submission's own headers (content-length of its body) do not belong on it.
  const upstream = await stub.fetch(new Request(url, { headers: { accept: "text/event-stream" } }));
  if (!upstream.ok || !upstream.body) return upstream;
  const body = reframeSse(upstream.body.pipeThrough(untilTerminalEvent()), { format: "typed", retryMs: SSE_RETRY_MS });
  return new Response(body, { status: 200, headers: upstream.headers });
}

/**
 * Passes SSE frames through until one whose `event:` is a run's end, then closes the stream (cancelling the
 * subscription upstream). The stream is filtered to one run, so any end event is that run's.
 */
export function untilTerminalEvent(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  let done = false;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (done) return;
      pending += decoder.decode(chunk, { stream: true });
      let cut = pending.indexOf("\n\n");
      while (cut >= 0) {
        const frame = pending.slice(0, cut + 2);
        pending = pending.slice(cut + 2);
        controller.enqueue(encoder.encode(frame));
        if (isTerminalFrame(frame)) {
          done = true;
          controller.terminate();
          return;
        }
        cut = pending.indexOf("\n\n");
      }
    },
    flush(controller) {
      if (!done && pending) controller.enqueue(encoder.encode(pending));
    },
  });
}

function isTerminalFrame(frame: string): boolean {
  const line = frame.split("\n").find((l) => l.startsWith("event: "));
  return line !== undefined && TERMINAL.has(line.slice("event: ".length).trim());
}

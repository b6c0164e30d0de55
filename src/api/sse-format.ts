/**
 * Reframes the session's SSE stream for the browser: a `retry:` hint first (how long EventSource waits before it
 * reconnects, sending Last-Event-ID), and with `format=message` every frame as the default `message` event (the
 * event's type stays inside its JSON data), so a plain EventSource follows a session with `onmessage` alone.
 * Frames are line-oriented and an event's JSON holds no newline, so dropping `event:` lines is all it takes.
 */
export type SseFormat = "typed" | "message";

export function reframeSse(body: ReadableStream<Uint8Array>, opts: { format: SseFormat; retryMs: number }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let pending = "";
  const transform = new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: ${opts.retryMs}\n\n`));
    },
    transform(chunk, controller) {
      if (opts.format === "typed") return controller.enqueue(chunk);
      pending += decoder.decode(chunk, { stream: true });
      const cut = pending.lastIndexOf("\n");
      if (cut < 0) return;
      const complete = pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
      const kept = complete
        .split("\n")
        .filter((line) => !line.startsWith("event:"))
        .join("\n");
      controller.enqueue(encoder.encode(kept));
    },
    flush(controller) {
      if (pending) controller.enqueue(encoder.encode(pending));
    },
  });
  return body.pipeThrough(transform);
}

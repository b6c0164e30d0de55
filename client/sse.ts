/** One Server-Sent Events frame: `id:`, `event:` and the joined `data:` lines (comments and `retry:` are dropped). */
export type SseFrame = { id: string | null; event: string | null; data: string };

/**
 * Splits a text stream into SSE frames. Chunks may cut a frame (or a line) anywhere; a frame ends at a blank line.
 * Frames with no `data:` (heartbeat comments, a lone `retry:` hint) are not yielded.
 */
export async function* parseSse(chunks: AsyncIterable<string>): AsyncGenerator<SseFrame> {
  let pending = "";
  for await (const chunk of chunks) {
    pending += chunk.replace(/\r\n?/g, "\n");
    let cut = pending.indexOf("\n\n");
    while (cut >= 0) {
      const frame = parseFrame(pending.slice(0, cut));
      pending = pending.slice(cut + 2);
      if (frame) yield frame;
      cut = pending.indexOf("\n\n");
    }
  }
  // A stream may end without the final blank line.
  const last = parseFrame(pending);
  if (last) yield last;
}

function parseFrame(text: string): SseFrame | null {
  let id: string | null = null;
  let event: string | null = null;
  const data: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    // The spec strips exactly one space after the colon.
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { id, event, data: data.join("\n") } : null;
}

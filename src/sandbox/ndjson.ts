/**
 * Incremental NDJSON line splitting: bytes arrive in chunks cut anywhere (even inside a UTF-8 character);
 * complete lines come out as soon as their newline arrives. Web-standard only (runs in workerd and Node).
 */
export class NdjsonLineSplitter {
  private readonly decoder = new TextDecoder();
  private buffer = "";

  /** Feeds a chunk; returns the complete, non-empty lines it finished. */
  push(chunk: Uint8Array | string): string[] {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** Ends the input; returns the last line when it had no trailing newline. */
  end(): string[] {
    this.buffer += this.decoder.decode();
    return this.drain(true);
  }

  private drain(final: boolean): string[] {
    const parts = this.buffer.split("\n");
    this.buffer = final ? "" : parts.pop()!;
    return parts.map((line) => line.replace(/\r$/, "")).filter((line) => line.trim() !== "");
  }
}

/**
 * Reads a byte stream and calls `onLine` for every NDJSON line, as lines complete. `signal` stops the read at once:
 * we cancel the reader ourselves rather than trust the fetch to do it, because Node's fetch follows a Request's
 * signal through a weak reference and, once the Request is garbage-collected, an abort no longer reaches the body.
 */
export async function forEachNdjsonLine(
  body: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const splitter = new NdjsonLineSplitter();
  const reader = body.getReader();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      for (const line of splitter.push(value)) onLine(line);
    }
    for (const line of splitter.end()) onLine(line);
  } catch (err) {
    // Stop the transfer: nobody will read the rest.
    await reader.cancel(err).catch(() => undefined);
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

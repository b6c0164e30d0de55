import type { JsonObject } from "../../core/json";
import type { AdapterEvent } from "../../core/adapter-event";
import type { CliStreamMapper } from "./common";

/**
 * Turns a CLI's stdout, chunk by chunk, into canonical events. Pure: the adapter feeds it chunks as the sandbox
 * delivers them (a line may be split across chunks) and emits what comes back, in order.
 *
 * Rules, the same for every CLI:
 * - **Unmapped lines are kept, never dropped, never fatal.** A valid JSON line the mapper cannot express (unknown
 *   kind, known kind in an unexpected shape, unknown content block) is held and attached to the *next* event
 *   emitted, under `metadata.unmapped_lines` (raw values, at most `maxPerEvent`, each at most `maxRawChars`
 *   serialized; the rest counted in `metadata.unmapped_lines_omitted`). Whatever is still held when the stream
 *   ends is handed to the adapter (`drainUnmapped`), which puts it on its failure event or in the run output.
 * - **Malformed lines (not JSON) are skipped and reported**, as `error_recovered {error_code: "protocol_error"}`
 *   for the first `maxMalformedEvents`, then only counted. The run fails with kind `protocol` only when no valid
 *   line came at all (decided by the adapter from `stats`); otherwise it goes on.
 * - Blank lines are ignored.
 */

export type StreamLimits = { maxPerEvent: number; maxRawChars: number; maxMalformedEvents: number };
export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxPerEvent: 20, maxRawChars: 2_000, maxMalformedEvents: 5 };

export type StreamStats = { lines: number; valid: number; malformed: number; unmapped: number };

export class CliStreamProcessor {
  private buffer = "";
  private held: unknown[] = [];
  private omitted = 0;
  private ended = false;
  readonly stats: StreamStats = { lines: 0, valid: 0, malformed: 0, unmapped: 0 };
  firstMalformed: string | null = null;

  constructor(
    private readonly mapper: CliStreamMapper,
    private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS,
  ) {}

  /** Feeds one stdout chunk; returns the events of every line it completed. */
  push(chunk: string): AdapterEvent[] {
    this.buffer += chunk;
    const events: AdapterEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      events.push(...this.line(line));
    }
    return events;
  }

  /** End of stdout: the last unterminated line, then the mapper's closing events. */
  end(): AdapterEvent[] {
    if (this.ended) return [];
    this.ended = true;
    const events = this.buffer === "" ? [] : this.line(this.buffer);
    this.buffer = "";
    return [...events, ...this.attach(this.mapper.finish())];
  }

  /** Unmapped lines still held (the stream ended before another event could carry them). */
  drainUnmapped(): { unmapped_lines: unknown[]; unmapped_lines_omitted: number } | null {
    if (this.held.length === 0 && this.omitted === 0) return null;
    const drained = { unmapped_lines: this.held, unmapped_lines_omitted: this.omitted };
    this.held = [];
    this.omitted = 0;
    return drained;
  }

  private line(raw: string): AdapterEvent[] {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (text.trim() === "") return [];
    this.stats.lines += 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.malformed(text);
    }
    this.stats.valid += 1;
    const { events, unmapped } = this.mapper.map(parsed);
    for (const u of unmapped) this.hold(u);
    return this.attach(events);
  }

  private malformed(text: string): AdapterEvent[] {
    this.stats.malformed += 1;
    const preview = text.slice(0, 200);
    this.firstMalformed ??= preview;
    if (this.stats.malformed > this.limits.maxMalformedEvents) return [];
    return this.attach([
      {
        type: "error_recovered",
        data: {
          error_code: "protocol_error",
          error_message: "Skipped a line of CLI output that is not JSON",
          line: preview,
          line_number: this.stats.lines,
          malformed_lines: this.stats.malformed,
        },
      },
    ]);
  }

  private hold(value: unknown): void {
    this.stats.unmapped += 1;
    if (this.held.length >= this.limits.maxPerEvent) {
      this.omitted += 1;
      return;
    }
    this.held.push(this.compact(value));
  }

  private compact(value: unknown): unknown {
    const text = JSON.stringify(value) ?? "null";
    if (text.length <= this.limits.maxRawChars) return value;
    const type = value && typeof value === "object" ? ((value as { type?: unknown }).type ?? null) : null;
    return { type, truncated: true, chars: text.length, preview: text.slice(0, this.limits.maxRawChars) };
  }

  private attach(events: AdapterEvent[]): AdapterEvent[] {
    const first = events[0];
    const drained = first ? this.drainUnmapped() : null;
    if (!first || !drained) return events;
    const metadata: JsonObject = { ...(first.metadata ?? {}), unmapped_lines: drained.unmapped_lines };
    if (drained.unmapped_lines_omitted > 0) metadata.unmapped_lines_omitted = drained.unmapped_lines_omitted;
    return [{ ...first, metadata }, ...events.slice(1)];
  }
}

import type { JsonObject } from "../../core/json";
import { EMPTY_USAGE, type TokenUsage } from "../../core/usage";
import type { ProviderErrorKind } from "../errors";
import type { AdapterEvent } from "../../core/adapter-event";
import type { ProviderHints } from "../types";
import type { RunOptions } from "../../core/run-options";

/**
 * What the three CLI adapters share: the mapper contract, running usage, text segments, tool-name tables and the
 * classification of error text. Pure: no I/O, so every mapper can be tested line by line.
 */

export type CliProviderName = "claude-code" | "codex" | "amp";

/** How a run ended according to the stream itself (not the process). */
export type StreamFailure = { kind: ProviderErrorKind; message: string; details: JsonObject };

export type CliRunSummary = {
  provider_session_id: string | null;
  model: string | null;
  /** The agent's final answer: the CLI's own result text, else the last text segment. */
  final_text: string;
  usage: TokenUsage;
  cost_usd: number | null;
  turn_count: number;
  stop_reason: string | null;
  failure: StreamFailure | null;
  /** True once the CLI said the run is over (`result`, `turn.completed`/`turn.failed`). */
  terminal: boolean;
};

/**
 * What a mapper returns for one parsed line. `unmapped` holds what it could not express canonically (an unknown
 * line kind, a known kind in an unexpected shape, an unknown content block): the processor keeps it (see stream.ts).
 */
export type MapOutput = { events: AdapterEvent[]; unmapped: unknown[] };

export interface CliStreamMapper {
  map(line: unknown): MapOutput;
  /** End of stream: closing events (pending text becomes `message_received`). */
  finish(): AdapterEvent[];
  summary(): CliRunSummary;
}

/** What the flag builders get: our normalized options, the policy hints, the prompt and a resume handle. */
export type CliInvocation = { prompt: string; options: RunOptions; hints: ProviderHints; resume_id: string | null };

export const out = (events: AdapterEvent[] = [], unmapped: unknown[] = []): MapOutput => ({ events, unmapped });

/** Running token totals for a run; `token_usage_updated` carries these (totals, not per-turn deltas). */
export function usageData(u: TokenUsage): JsonObject {
  return {
    input_tokens: u.input,
    output_tokens: u.output,
    cache_read_tokens: u.cache_read,
    cache_creation_tokens: u.cache_creation,
    total_tokens: u.total,
  };
}

export function makeUsage(parts: Partial<Omit<TokenUsage, "total">>): TokenUsage {
  const u = { ...EMPTY_USAGE, ...parts };
  return { ...u, total: u.input + u.output + u.cache_read + u.cache_creation };
}

export function sameUsage(a: TokenUsage, b: TokenUsage): boolean {
  return a.input === b.input && a.output === b.output && a.cache_read === b.cache_read && a.cache_creation === b.cache_creation;
}

/**
 * Assistant text arrives in pieces between tool calls. Each piece is streamed at once; a segment is closed as one
 * `message_received` when a tool call starts or the stream ends, so transcripts keep text and tools in order.
 */
export class TextSegments {
  private pending = "";
  private last = "";

  add(text: string): AdapterEvent[] {
    if (text === "") return [];
    this.pending += text;
    return [{ type: "message_streamed", data: { content: text, delta: text } }];
  }

  /** Appends streamed text without emitting (it went out as deltas already). */
  absorb(text: string): void {
    this.pending += text;
  }

  close(): AdapterEvent[] {
    if (this.pending === "") return [];
    const content = this.pending;
    this.last = content;
    this.pending = "";
    return [{ type: "message_received", data: { role: "assistant", content } }];
  }

  get lastText(): string {
    return this.pending !== "" ? this.pending : this.last;
  }
}

/** Provider tool names ↔ our canonical ones, so one policy (`deny: ["bash"]`) means the same on every CLI. */
export type ToolNameTable = Readonly<Record<string, string>>;

export function canonicalToolName(table: ToolNameTable, name: string): string {
  return table[name] ?? name;
}

/** Inverse lookup for hints: a canonical name becomes the CLI's own; anything else passes through unchanged. */
export function providerToolName(table: ToolNameTable, name: string): string {
  const hit = Object.entries(table).find(([, canonical]) => canonical === name.trim().toLowerCase());
  return hit ? hit[0] : name;
}

const ERROR_PATTERNS: [RegExp, ProviderErrorKind][] = [
  [/rate[ _-]?limit|too many requests|\b429\b/i, "rate_limited"],
  [/overloaded|\b529\b/i, "overloaded"],
  [/insufficient[_ ]quota|quota|credit balance|billing|usage limit/i, "quota"],
  [/invalid[ _-]?(x-)?api[ _-]?key|unauthori[sz]ed|authentication|\b401\b|\b403\b|not logged in|please run \/login|log ?in again/i, "auth"],
  [/timed? ?out|timeout/i, "timeout"],
  [/internal server error|\b50[0234]\b|service unavailable|bad gateway/i, "server"],
  [/ECONNRESET|ECONNREFUSED|ENOTFOUND|network|stream disconnected|connection (reset|refused|closed)/i, "network"],
];

/** Maps a CLI's error text to a failure kind when it is recognizable; otherwise `unknown`. */
export function classifyErrorText(text: string): ProviderErrorKind {
  for (const [pattern, kind] of ERROR_PATTERNS) if (pattern.test(text)) return kind;
  return "unknown";
}

/** Joins the text of a tool result / content value (string, or blocks with `text`). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((b) =>
        b && typeof b === "object" && typeof (b as { text?: unknown }).text === "string" ? (b as { text: string }).text : JSON.stringify(b),
      )
      .join("\n");
  }
  return content == null ? "" : JSON.stringify(content);
}

export function asObject(value: unknown): JsonObject {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {};
}

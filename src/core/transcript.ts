import { z } from "zod";
import type { Event } from "./event";
import { isPlainObject, type JsonObject } from "./json";

/**
 * The session transcript: the conversation rebuilt from the event log, for replay continuation and for
 * GET /sessions/:id/transcript. Building is a pure fold over events ordered by sequence.
 */

/** A chat message of the session transcript, used for replay continuation. */
export type TranscriptMessage = {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_call_id?: string | null;
  tool_name?: string | null;
  tool_input?: JsonObject | null;
  tool_output?: unknown;
};

export type Transcript = {
  session_id: string;
  messages: TranscriptMessage[];
  last_sequence: number | null;
  last_timestamp: string | null;
  metadata: {
    /**
     * Streamed text that no `message_received` has closed yet. The end-of-build flush put it in the last message;
     * an update takes that message back and keeps buffering, so chunks split across updates still collapse into one
     * message, exactly as a full rebuild would.
     */
    open_stream: string | null;
  };
};

export const APPROVAL_PLACEHOLDER = "[Execution paused: awaiting human approval]";

type Role = TranscriptMessage["role"];
const ROLES: readonly string[] = ["system", "user", "assistant", "tool"] satisfies Role[];

/**
 * The fold's working state: the messages so far, the pending stream buffer, tool names by call id, and where each
 * approval placeholder sits (by call id), so the call's real result can take its place.
 */
type BuildState = { messages: TranscriptMessage[]; buffer: string; toolNames: Map<string, string>; placeholders: Map<string, number[]> };

export function buildTranscript(events: Event[], sessionId: string): Transcript {
  const empty: Transcript = {
    session_id: sessionId,
    messages: [],
    last_sequence: null,
    last_timestamp: null,
    metadata: { open_stream: null },
  };
  return updateTranscript(empty, events);
}

/** Applies the events newer than `t.last_sequence`; the result equals a full rebuild over all of them. */
export function updateTranscript(t: Transcript, newEvents: Event[]): Transcript {
  const after = t.last_sequence ?? 0;
  const fresh = sortEvents(newEvents.filter((e) => e.sequence > after));
  if (fresh.length === 0) return t;

  const state = resumeState(t);
  for (const event of fresh) apply(state, event);
  const openStream = state.buffer === "" ? null : state.buffer;
  flush(state);

  const last = fresh[fresh.length - 1]!;
  return {
    session_id: t.session_id,
    messages: state.messages,
    last_sequence: last.sequence,
    last_timestamp: last.timestamp,
    metadata: { open_stream: openStream },
  };
}

/** Sequence first; ties (which one session's log never has) by timestamp, then id, then input order. */
function sortEvents(events: Event[]): Event[] {
  return events
    .map((event, index) => ({ event, index }))
    .sort(
      (a, b) =>
        a.event.sequence - b.event.sequence ||
        compareText(a.event.timestamp, b.event.timestamp) ||
        compareText(a.event.id, b.event.id) ||
        a.index - b.index,
    )
    .map(({ event }) => event);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function resumeState(t: Transcript): BuildState {
  const messages = [...t.messages];
  let buffer = "";
  if (t.metadata.open_stream !== null) {
    messages.pop(); // the provisional message the last flush made from the open stream
    buffer = t.metadata.open_stream;
  }
  const toolNames = new Map<string, string>();
  const placeholders = new Map<string, number[]>();
  for (const [index, m] of messages.entries()) {
    if (m.role === "assistant" && m.tool_call_id && m.tool_name) toolNames.set(m.tool_call_id, m.tool_name);
    if (m.role === "tool" && m.tool_call_id && m.tool_output === APPROVAL_PLACEHOLDER) notePlaceholder(placeholders, m.tool_call_id, index);
  }
  return { messages, buffer, toolNames, placeholders };
}

function apply(state: BuildState, event: Event): void {
  const data = event.data;
  switch (event.type) {
    case "message_streamed": {
      const chunk = nonEmpty(textOf(data.delta)) ?? nonEmpty(textOf(data.content));
      if (chunk !== null) state.buffer += chunk;
      return;
    }
    case "message_received": {
      const role = roleOf(data.role, "assistant");
      const content = textOf(data.content) ?? "";
      if (role === "assistant" && state.buffer !== "") {
        // The streamed chunks and the final message are one reply: keep the final text, or the chunks without it.
        state.messages.push({ role, content: content !== "" ? content : state.buffer });
        state.buffer = "";
        return;
      }
      flush(state);
      if (content !== "") state.messages.push({ role, content });
      return;
    }
    case "message_sent": {
      flush(state);
      const content = textOf(data.content) ?? "";
      if (content !== "") state.messages.push({ role: roleOf(data.role, "user"), content });
      return;
    }
    case "tool_call_started": {
      const id = stringOrNull(data.tool_call_id);
      const name = stringOrNull(data.tool_name);
      if (id && name) state.toolNames.set(id, name);
      state.messages.push({
        role: "assistant",
        content: null,
        tool_call_id: id,
        tool_name: name,
        tool_input: isPlainObject(data.tool_input) ? (data.tool_input as JsonObject) : null,
      });
      return;
    }
    case "tool_call_completed":
    case "tool_call_failed": {
      const output = data.tool_output ?? (event.type === "tool_call_failed" ? data.error : undefined) ?? null;
      const result = toolResult(state, data, output);
      // Our approval gates pause and resume (the original cancelled instead), so a decided call has its real
      // result after the placeholder: it replaces it, keeping one result per call as the model APIs require.
      const at = result.tool_call_id ? state.placeholders.get(result.tool_call_id)?.pop() : undefined;
      if (at !== undefined) state.messages[at] = result;
      else state.messages.push(result);
      return;
    }
    case "tool_approval_requested": {
      const placeholder = toolResult(state, data, APPROVAL_PLACEHOLDER);
      if (placeholder.tool_call_id) notePlaceholder(state.placeholders, placeholder.tool_call_id, state.messages.length);
      state.messages.push(placeholder);
      return;
    }
    default:
      return; // every other event type carries no conversation
  }
}

/** A `tool` message, paired to its call by tool_call_id; the name comes from the call when the result lacks it. */
function toolResult(state: BuildState, data: JsonObject, output: unknown): TranscriptMessage {
  const id = stringOrNull(data.tool_call_id);
  const name = stringOrNull(data.tool_name) ?? (id ? (state.toolNames.get(id) ?? null) : null);
  return { role: "tool", content: null, tool_call_id: id, tool_name: name, tool_output: output };
}

/** Placeholders are kept per call id in log order; a result replaces the latest one still standing. */
function notePlaceholder(placeholders: Map<string, number[]>, callId: string, index: number): void {
  const list = placeholders.get(callId);
  if (list) list.push(index);
  else placeholders.set(callId, [index]);
}

function flush(state: BuildState): void {
  if (state.buffer === "") return;
  state.messages.push({ role: "assistant", content: state.buffer });
  state.buffer = "";
}

function roleOf(value: unknown, fallback: Role): Role {
  const role = typeof value === "string" ? value.trim().toLowerCase() : "";
  return ROLES.includes(role) ? (role as Role) : fallback;
}

/** Message text: a string, or the text blocks of a content array (`[{type:"text", text}]`, as the APIs send). */
function textOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return null;
  const parts = value.flatMap((block) => {
    if (typeof block === "string") return [block];
    if (isPlainObject(block) && typeof block.text === "string") return [block.text];
    return [];
  });
  return parts.length > 0 ? parts.join("") : null;
}

function nonEmpty(text: string | null): string | null {
  return text === null || text === "" ? null : text;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Continuation options and truncation

const count = z.number().int().min(0);

/** `continuation_opts` of a run submission: store filters (kept for compatibility) and truncation bounds. */
export const ContinuationOptsSchema = z
  .strictObject({
    limit: z.number().int().min(1).optional(),
    after: count.optional(),
    before: z.number().int().min(1).optional(),
    run_id: z.string().min(1).optional(),
    type: z.string().min(1).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    max_messages: count.optional(),
    max_chars: count.optional(),
    max_tokens_approx: count.optional(),
  })
  .meta({ id: "ContinuationOptions" });
export type ContinuationOpts = z.infer<typeof ContinuationOptsSchema>;

const MODES = ["auto", "replay", "native"] as const;

/** `continuation`: a mode or `false`. `true` is refused so a caller states which kind of continuation they mean. */
export const ContinuationModeSchema = z.union([z.enum(MODES), z.literal(false)], {
  error: (iss) =>
    iss.input === true
      ? 'continuation: true is not accepted; use "auto", "replay" or "native" (or false for none)'
      : `continuation must be "auto", "replay", "native" or false, got ${JSON.stringify(iss.input) ?? String(iss.input)}`,
});
export type ContinuationMode = z.infer<typeof ContinuationModeSchema>;

export const CHARS_PER_TOKEN = 4;

export type TruncationOpts = Pick<ContinuationOpts, "max_messages" | "max_chars" | "max_tokens_approx">;

/** A message's weight against the character budget: its content, or its tool name when it has no content. */
export function messageChars(m: TranscriptMessage): number {
  if (m.content !== null && m.content !== "") return m.content.length;
  return m.tool_name?.length ?? 0;
}

/**
 * Keeps the last `max_messages`, then the longest suffix within min(max_chars, max_tokens_approx × 4) characters.
 * The walk stops at the first message (from the end) that would not fit, so the kept messages stay contiguous.
 */
export function truncateTranscript(messages: TranscriptMessage[], opts: TruncationOpts = {}): TranscriptMessage[] {
  const kept = opts.max_messages !== undefined ? messages.slice(Math.max(0, messages.length - opts.max_messages)) : messages;
  const budgets = [opts.max_chars, opts.max_tokens_approx !== undefined ? opts.max_tokens_approx * CHARS_PER_TOKEN : undefined].filter(
    (b): b is number => b !== undefined,
  );
  if (budgets.length === 0) return [...kept];
  const budget = Math.min(...budgets);
  let used = 0;
  let start = kept.length;
  while (start > 0) {
    const weight = messageChars(kept[start - 1]!);
    if (used + weight > budget) break;
    used += weight;
    start -= 1;
  }
  return kept.slice(start);
}

import type { TranscriptMessage } from "../core/transcript";

/**
 * Replay continuation as a model API accepts it: the session transcript (from any provider, truncated or not) turned
 * into steps where every tool call is answered by exactly one result right after its calls, ids are unique, and what
 * cannot be paired is kept as plain text. Each adapter renders these steps in its own wire format.
 */
export type ReplayStep =
  | { kind: "text"; role: "user" | "assistant" | "system"; text: string }
  | { kind: "call"; id: string; name: string; input: Record<string, unknown> }
  | { kind: "result"; id: string; output: string; is_error: boolean };

/** Said for a call whose result the log never recorded (the run ended first, or truncation cut it off). */
export const NO_RESULT = "[no result recorded]";

const stringify = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v ?? null));

export function replaySteps(transcript: TranscriptMessage[] | null): ReplayStep[] {
  const steps: ReplayStep[] = [];
  /** Calls waiting for their result, oldest first: the transcript's id and the id sent to the API. */
  let pending: { key: string | null; id: string }[] = [];
  const used = new Set<string>();
  const close = () => {
    for (const { id } of pending) steps.push({ kind: "result", id, output: NO_RESULT, is_error: true });
    pending = [];
  };
  for (const m of transcript ?? []) {
    if (m.role === "assistant" && m.tool_name) {
      // Calls of one turn stay together; anything else between a call and its result closes the call first.
      if (steps.at(-1)?.kind === "result") close();
      const id = uniqueId(m.tool_call_id ?? `call_${used.size + 1}`, used);
      pending.push({ key: m.tool_call_id ?? null, id });
      steps.push({ kind: "call", id, name: m.tool_name, input: m.tool_input ?? {} });
      continue;
    }
    if (m.role === "tool") {
      const at = m.tool_call_id ? pending.findIndex((p) => p.key === m.tool_call_id) : -1;
      if (at !== -1) {
        const { id } = pending.splice(at, 1)[0]!;
        steps.push({ kind: "result", id, output: stringify(m.tool_output), is_error: false });
        continue;
      }
      close();
      // A result whose call is not in the replay (truncated away, or already answered) is kept as text.
      steps.push({ kind: "text", role: "user", text: `[tool ${m.tool_name ?? ""} result] ${stringify(m.tool_output)}` });
      continue;
    }
    if (!m.content) continue;
    close();
    steps.push({ kind: "text", role: m.role === "assistant" ? "assistant" : m.role === "system" ? "system" : "user", text: m.content });
  }
  close();
  return steps;
}

/** API tool ids must be unique in a request; CLI agents replaying recorded streams can repeat theirs. */
function uniqueId(id: string, used: Set<string>): string {
  let candidate = id;
  for (let n = 2; used.has(candidate); n++) candidate = `${id}_${n}`;
  used.add(candidate);
  return candidate;
}

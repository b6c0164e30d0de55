import { AppError } from "../../core/errors";
import type { TranscriptMessage } from "../../core/transcript";

/** The prompt a CLI agent gets: a string, `{prompt}`, or the last user message of `{messages}`. */
export function promptOf(input: unknown): string {
  if (typeof input === "string" && input.trim() !== "") return input;
  if (input && typeof input === "object") {
    const o = input as { prompt?: unknown; messages?: unknown };
    if (typeof o.prompt === "string" && o.prompt.trim() !== "") return o.prompt;
    if (Array.isArray(o.messages)) {
      for (let i = o.messages.length - 1; i >= 0; i--) {
        const m = o.messages[i] as { role?: unknown; content?: unknown } | null;
        if (m && String(m.role).toLowerCase() === "user") {
          const content = typeof m.content === "string" ? m.content : JSON.stringify(m.content);
          if (content.trim() !== "") return content;
        }
      }
    }
  }
  throw new AppError("invalid_input", "A CLI agent run needs a prompt: a string, {prompt}, or {messages} with a user message");
}

/**
 * Replay continuation for a CLI without a native handle: the CLI takes one prompt, so earlier turns are written
 * in front of it as plain text. Tool calls are summarized by name; system messages are left out (the CLI has its own).
 */
export function withTranscript(prompt: string, transcript: TranscriptMessage[] | null): string {
  const lines = (transcript ?? []).flatMap((m) => {
    if (m.role === "system") return [];
    if (m.role === "tool") return [`[tool result${m.tool_name ? ` ${m.tool_name}` : ""}]: ${stringify(m.tool_output)}`];
    if (m.content) return [`[${m.role}]: ${m.content}`];
    if (m.tool_name) return [`[${m.role} called ${m.tool_name}]: ${JSON.stringify(m.tool_input ?? {})}`];
    return [];
  });
  if (lines.length === 0) return prompt;
  return `Conversation so far:\n${lines.join("\n")}\n\nCurrent request:\n${prompt}`;
}

function stringify(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
}

import type { Event } from "../../src/core/event";

export type ToolOutputMode = "summary" | "preview" | "full";
export type JsonlMode = "full" | "compact";

export type RenderOptions = {
  /** ANSI colours (only for a TTY). */
  color?: boolean;
  /** Cursor control, e.g. overwriting a tool's ◐ line with its ✓ (only for a TTY). */
  cursor?: boolean;
  toolOutput?: ToolOutputMode;
  /** Lines shown by the `preview` tool-output mode. */
  previewLines?: number;
  jsonlMode?: JsonlMode;
};

/**
 * A renderer turns events into text, one event at a time; it may hold state (an open text block, a running tool),
 * but performs no I/O. `finish` closes whatever is open (a trailing newline).
 */
export interface Renderer {
  render(event: Event): string;
  finish(): string;
}

/** Where rendered text goes. */
export interface Writer {
  write(text: string): void;
}

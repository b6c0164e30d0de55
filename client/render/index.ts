import { stripAnsi } from "./ansi";
import { compactRenderer } from "./compact";
import { jsonlRenderer } from "./jsonl";
import { studioRenderer } from "./studio";
import type { Renderer, RenderOptions, Writer } from "./types";
import { verboseRenderer } from "./verbose";
import type { Event } from "../../src/core/event";

export const RENDER_FORMATS = ["compact", "verbose", "studio", "jsonl"] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];

export function createRenderer(format: RenderFormat, opts: RenderOptions = {}): Renderer {
  switch (format) {
    case "compact":
      return compactRenderer(opts);
    case "verbose":
      return verboseRenderer(opts);
    case "studio":
      return studioRenderer(opts);
    case "jsonl":
      return jsonlRenderer(opts);
  }
}

/** Renders a whole sequence to text (tests, files, `asm tail --no-follow`). */
export function renderAll(renderer: Renderer, events: Iterable<Event>): string {
  let text = "";
  for (const e of events) text += renderer.render(e);
  return text + renderer.finish();
}

/** A writer over a Node stream or anything with `write`; drops ANSI codes unless `ansi` is true (files, pipes). */
export function streamWriter(stream: { write(text: string): unknown }, ansi: boolean): Writer {
  return { write: (text) => void (text && stream.write(ansi ? text : stripAnsi(text))) };
}

/** A writer that keeps what it is given. */
export function memoryWriter(): Writer & { text(): string } {
  let buffer = "";
  return { write: (text) => void (buffer += text), text: () => buffer };
}

export { compactRenderer, jsonlRenderer, studioRenderer, verboseRenderer, stripAnsi };
export { describe } from "./verbose";
export { toolTitle, toolOutputLines } from "./tools";
export type { Renderer, RenderOptions, Writer, ToolOutputMode, JsonlMode } from "./types";

import type { Event } from "../../src/core/event";

/** Typed reads of an event's free-form `data`. */
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
export const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The text a streamed message carries: `delta` when adapters send it, else `content`. */
export function streamedText(e: Event): string {
  return str(e.data.delta) ?? str(e.data.content) ?? "";
}

/** A message's content as text (content blocks are joined by their `text`). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((b) => str(obj(b).text) ?? "")
      .filter(Boolean)
      .join("\n");
  return content === undefined || content === null ? "" : JSON.stringify(content);
}

/** Cost on a usage or run event, under either of the names adapters use. */
export function costOf(data: Record<string, unknown>): number | undefined {
  return num(data.cost_usd) ?? num(data.total_cost_usd);
}

export function formatCost(usd: number): string {
  return `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

/** Input/output tokens on a usage event (`input_tokens`) or a run's `token_usage` (`input`). */
export function tokensOf(data: Record<string, unknown>): { input: number; output: number } | undefined {
  const usage = obj(data.token_usage);
  const input = num(data.input_tokens) ?? num(usage.input);
  const output = num(data.output_tokens) ?? num(usage.output);
  return input === undefined && output === undefined ? undefined : { input: input ?? 0, output: output ?? 0 };
}

/** One line, at most `max` characters. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function compactJson(value: unknown, max = 120): string {
  return oneLine(JSON.stringify(value) ?? "", max);
}

/**
 * What a failure is, in words a reader can act on. The API files every provider failure under `provider_error`;
 * the specific cause (a shell command's `command_failed`, `command_timeout`, `cli_exit`…) sits in its details.
 */
export function failureLabel(data: Record<string, unknown>): string {
  const code = str(data.error_code) ?? "failed";
  if (code !== "provider_error") return code;
  const pe = obj(data.provider_error ?? obj(data.details).provider_error);
  const shellExit = pe.provider === "shell" && pe.kind === "process_exit" ? "command_failed" : undefined;
  const specific = str(obj(data.details).error_code) ?? str(obj(pe.details).error_code) ?? shellExit;
  const exit = num(pe.exit_code);
  return `${specific ?? code}${exit !== undefined ? ` (exit ${exit})` : ""}`;
}

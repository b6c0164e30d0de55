import type { Event } from "../../src/core/event";
import { palette } from "./ansi";
import { compactJson, contentText, costOf, failureLabel, formatCost, oneLine, str, streamedText, tokensOf } from "./fields";
import type { Renderer, RenderOptions } from "./types";

/** A short description of an event's payload, for the `[type] …` line. */
export function describe(e: Event): string {
  const d = e.data;
  const tokens = tokensOf(d);
  const cost = costOf(d);
  const usage = [tokens ? `tokens=${tokens.input}/${tokens.output}` : "", cost !== undefined ? `cost=${formatCost(cost)}` : ""]
    .filter(Boolean)
    .join(" ");
  switch (e.type) {
    case "run_queued":
      return `provider=${str(d.provider) ?? e.provider ?? "-"} model=${str(d.model) ?? "-"}${typeof d.position === "number" ? ` position=${d.position}` : ""}`;
    case "run_started":
      return `provider=${str(d.provider) ?? e.provider ?? "-"} model=${str(d.model) ?? "-"}`;
    case "run_completed":
      return [`stop_reason=${str(d.stop_reason) ?? "-"}`, usage].filter(Boolean).join(" ");
    case "run_failed":
    case "session_failed":
      return `${failureLabel(d)}: ${oneLine(str(d.error_message) ?? "", 200)}`;
    case "run_cancelled":
      return str(d.reason) ? `reason=${str(d.reason)}` : "";
    case "run_timeout":
      return typeof d.timeout_ms === "number" ? `after ${d.timeout_ms} ms` : "";
    case "message_sent":
    case "message_received":
      return `${str(d.role) ?? "-"}: ${oneLine(contentText(d.content), 200)}`;
    case "tool_call_started":
      return `${str(d.tool_name) ?? "tool"} id=${str(d.tool_call_id) ?? "-"} input=${compactJson(d.tool_input ?? {}, 160)}`;
    case "tool_call_completed":
      return `${str(d.tool_name) ?? "tool"} id=${str(d.tool_call_id) ?? "-"} output=${compactJson(d.tool_output ?? null, 160)}`;
    case "tool_call_failed":
      return `${str(d.tool_name) ?? "tool"} id=${str(d.tool_call_id) ?? "-"} error=${oneLine(str(d.error) ?? "-", 120)}`;
    case "token_usage_updated":
      return usage;
    case "error_occurred":
      return `${str(d.error_code) ? `${str(d.error_code)}: ` : ""}${oneLine(str(d.error_message) ?? "", 200)}`;
    case "policy_violation":
      return `policy=${str(d.policy) ?? "-"} kind=${str(d.kind) ?? "-"}${str(d.action) ? ` action=${str(d.action)}` : ""}`;
    case "tool_approval_requested":
      return `${str(d.tool_name) ?? "tool"} id=${str(d.tool_call_id) ?? "-"} policy=${str(d.policy_name) ?? "-"} input=${compactJson(d.tool_input ?? {}, 120)}`;
    case "tool_approval_granted":
    case "tool_approval_denied":
    case "tool_approval_expired":
      return `${str(d.tool_name) ?? "tool"} id=${str(d.tool_call_id) ?? "-"}${str(d.reason) ? ` reason=${oneLine(str(d.reason)!, 120)}` : ""}`;
    default:
      return Object.keys(d).length ? compactJson(d, 200) : "";
  }
}

/**
 * One `[type] …` line per event, prefixed by its sequence. Streamed text goes inline: consecutive
 * `message_streamed` events share one line that grows as deltas arrive.
 */
export function verboseRenderer(opts: RenderOptions = {}): Renderer {
  const c = palette(opts.color ?? false);
  let inStream = false;
  let atLineStart = true;
  const closeStream = () => {
    const out = inStream && !atLineStart ? "\n" : "";
    inStream = false;
    atLineStart = true;
    return out;
  };
  return {
    render(e: Event): string {
      if (e.type === "message_streamed") {
        const head = inStream ? "" : `${c.dim(`#${e.sequence}`)} ${c.cyan("[message_streamed]")} `;
        const out = head + streamedText(e);
        inStream = true;
        if (out !== "") atLineStart = out.endsWith("\n");
        return out;
      }
      const label = /failed|error|violation|denied|expired|timeout|cancelled/.test(e.type) ? c.red(`[${e.type}]`) : c.cyan(`[${e.type}]`);
      const detail = describe(e);
      return `${closeStream()}${c.dim(`#${e.sequence}`)} ${label}${detail ? ` ${detail}` : ""}\n`;
    },
    finish: () => closeStream(),
  };
}

import type { Event } from "../../src/core/event";
import { contentText, costOf, str, streamedText, tokensOf } from "./fields";
import type { Renderer, RenderOptions } from "./types";

/** Stop reasons shortened in compact JSONL. */
const SHORT_STOP: Record<string, string> = { end_turn: "end", tool_use: "tool", max_tokens: "max", stop_sequence: "stop" };

/**
 * JSONL, one object per line. Full: each event exactly as the API returns it (`id`, `session_id`, `sequence`, `type`,
 * `run_id`, `timestamp`, `data`), so filters written against the API work on it.
 * Compact: `{t: epoch_ms, e: {t: code, …}}` with the codes rs (run started), ms (streamed text), ts (tool started),
 * tc (tool completed; `ok:false` when it failed), tu (token usage, `$` = cost), mr (message received),
 * rc (run completed), rf (run failed), rx (run cancelled or timed out), er (error). Other types are left out.
 */
export function jsonlRenderer(opts: RenderOptions = {}): Renderer {
  const compact = opts.jsonlMode === "compact";
  return {
    render(e: Event): string {
      if (!compact) {
        return `${JSON.stringify(e)}\n`;
      }
      const body = compactBody(e);
      return body ? `${JSON.stringify({ t: Date.parse(e.timestamp), e: body })}\n` : "";
    },
    finish: () => "",
  };
}

function compactBody(e: Event): Record<string, unknown> | null {
  const d = e.data;
  const withCost = (body: Record<string, unknown>) => {
    const cost = costOf(d);
    return cost === undefined ? body : { ...body, $: cost };
  };
  switch (e.type) {
    case "run_started":
      return { t: "rs", r: e.run_id, m: str(d.model) ?? null };
    case "message_streamed":
      return { t: "ms", d: streamedText(e) };
    case "tool_call_started":
      return { t: "ts", n: str(d.tool_name) ?? null, id: str(d.tool_call_id) ?? null };
    case "tool_call_completed":
      return { t: "tc", n: str(d.tool_name) ?? null, id: str(d.tool_call_id) ?? null, ok: true };
    case "tool_call_failed":
      return { t: "tc", n: str(d.tool_name) ?? null, id: str(d.tool_call_id) ?? null, ok: false, err: str(d.error) ?? null };
    case "token_usage_updated": {
      const tokens = tokensOf(d);
      return withCost({ t: "tu", i: tokens?.input ?? 0, o: tokens?.output ?? 0 });
    }
    case "message_received":
      return { t: "mr", c: contentText(d.content) };
    case "run_completed": {
      const reason = str(d.stop_reason);
      return withCost({ t: "rc", sr: reason === undefined ? null : (SHORT_STOP[reason] ?? reason) });
    }
    case "run_failed":
      return { t: "rf", c: str(d.error_code) ?? null, m: str(d.error_message) ?? null };
    case "run_cancelled":
      return { t: "rx", why: str(d.reason) ?? "cancelled" };
    case "run_timeout":
      return { t: "rx", why: "timeout" };
    case "error_occurred":
      return { t: "er", c: str(d.error_code) ?? null, m: str(d.error_message) ?? null };
    default:
      return null;
  }
}

import type { Event } from "../../src/core/event";
import { isEventType } from "../../src/core/event-types";
import { palette } from "./ansi";
import { costOf, failureLabel, formatCost, oneLine, str, streamedText, tokensOf } from "./fields";
import type { Renderer, RenderOptions } from "./types";

/**
 * The compact token stream: `r+(model)` run start, `r-:reason` run end, `t+Name`/`t-Name` tool start/end
 * (`t-Name!` when it failed), `>> text` streamed text, `tk:in/out$cost` usage, `msg` a received message,
 * `!(…)` an error, failure, cancellation or policy violation, `?` an unknown type. Ours on top: approvals
 * `ap?Name` (asked), `ap+Name` (granted), `ap-Name` (denied or expired). Session bookkeeping, queueing, turns and
 * workspace events print nothing. Each run ends its line.
 */
export function compactRenderer(opts: RenderOptions = {}): Renderer {
  const c = palette(opts.color ?? false);
  let inText = false;
  let lineEmpty = true;
  let lastChar = "\n";

  const emit = (text: string): string => {
    if (text === "") return "";
    lastChar = text[text.length - 1]!;
    lineEmpty = lastChar === "\n";
    return text;
  };
  const token = (t: string): string => {
    const sep = lineEmpty || /\s/.test(lastChar) ? "" : " ";
    inText = false;
    return emit(sep + t);
  };
  const endLine = (): string => (lineEmpty ? "" : emit("\n"));

  return {
    render(e: Event): string {
      const name = str(e.data.tool_name) ?? "tool";
      switch (e.type) {
        case "run_started": {
          const model = str(e.data.model);
          return token(c.green(`r+${model ? `(${model})` : ""}`));
        }
        case "run_completed": {
          const reason = str(e.data.stop_reason);
          return token(c.green(`r-${reason ? `:${reason}` : ""}`)) + endLine();
        }
        case "run_failed":
          return (
            token(c.red(`!(${oneLine(`${failureLabel(e.data)}: ${str(e.data.error_message) ?? ""}`, 80)})`)) +
            token(c.red("r-:failed")) +
            endLine()
          );
        case "run_cancelled":
          return token(c.red("!")) + token(c.red("r-:cancelled")) + endLine();
        case "run_timeout":
          return token(c.red("!")) + token(c.red("r-:timeout")) + endLine();
        case "tool_call_started":
          return token(c.cyan(`t+${name}`));
        case "tool_call_completed":
          return token(c.cyan(`t-${name}`));
        case "tool_call_failed":
          return token(c.red(`t-${name}!`));
        case "message_streamed": {
          const text = streamedText(e);
          if (text === "") return "";
          const prefix = inText ? "" : `${token(c.dim(">>"))} `;
          inText = true;
          return prefix + emit(text);
        }
        case "message_received":
          return token(c.dim("msg"));
        case "token_usage_updated": {
          const t = tokensOf(e.data);
          const cost = costOf(e.data);
          return token(c.dim(`tk:${t?.input ?? 0}/${t?.output ?? 0}${cost !== undefined ? formatCost(cost) : ""}`));
        }
        case "error_occurred":
          return token(c.red(`!(${oneLine(str(e.data.error_message) ?? str(e.data.error_code) ?? "error", 80)})`));
        case "policy_violation":
          return token(c.red(`!(${str(e.data.policy) ?? "policy"}:${str(e.data.kind) ?? "violation"})`));
        case "tool_approval_requested":
          return token(c.yellow(`ap?${name}`));
        case "tool_approval_granted":
          return token(c.green(`ap+${name}`));
        case "tool_approval_denied":
        case "tool_approval_expired":
          return token(c.red(`ap-${name}`));
        default:
          return isEventType(e.type) ? "" : token(c.yellow("?"));
      }
    },
    finish: () => endLine(),
  };
}

import type { Event } from "../../src/core/event";
import { palette, REPLACE_PREVIOUS_LINE } from "./ansi";
import { contentText, costOf, failureLabel, formatCost, oneLine, str, streamedText, tokensOf } from "./fields";
import { toolKind, toolOutputLines, toolTitle } from "./tools";
import type { Renderer, RenderOptions } from "./types";

/**
 * The studio view: ◐ while a tool runs, ✓ or ✗ when it ends, ● for assistant messages, a human title per
 * tool call (`$ cmd`, `Read src/x.ts`, `Wrote 3 lines to …`) and its output as a summary, a preview or in full.
 * With cursor control (a TTY), a tool's ◐ line is replaced by its ✓/✗ line when nothing was printed in between.
 */
export function studioRenderer(opts: RenderOptions = {}): Renderer {
  const c = palette(opts.color ?? false);
  const mode = opts.toolOutput ?? "summary";
  const previewLines = opts.previewLines ?? 5;
  /** Set while the last thing printed is the ◐ line of this tool call. */
  let pendingToolLine: string | null = null;
  /** An assistant text block is open (● printed, newline owed). */
  let inText = false;
  let atLineStart = true;
  let streamedSinceMessage = false;
  const toolInputs = new Map<string, unknown>();

  const out = (text: string): string => {
    if (text === "") return "";
    pendingToolLine = null;
    atLineStart = text.endsWith("\n");
    return text;
  };
  const closeText = (): string => {
    const close = inText && !atLineStart ? out("\n") : "";
    inText = false;
    return close;
  };
  const line = (text: string): string => closeText() + out(`${text}\n`);
  const indented = (lines: string[]) => lines.map((l) => `  ${c.dim(l)}`).join("\n");

  function toolEnd(e: Event, ok: boolean): string {
    const id = str(e.data.tool_call_id) ?? "";
    const name = str(e.data.tool_name) ?? "tool";
    const input = e.data.tool_input ?? toolInputs.get(id);
    toolInputs.delete(id);
    const replace = opts.cursor && pendingToolLine !== null && pendingToolLine === id ? REPLACE_PREVIOUS_LINE : "";
    const mark = ok ? c.green("✓") : c.red("✗");
    const hasOutput = e.data.tool_output !== null && e.data.tool_output !== undefined;
    const errorText = str(e.data.error) ?? "failed";
    // "exit 1" repeats what the output line says; other errors (a refusal, a timeout) are news.
    const error = ok || (hasOutput && /^exit \S+$/.test(errorText)) ? [] : [`${c.red("⎿")} ${c.red(oneLine(errorText, 160))}`];
    // A write or an edit is summed up by its title; its output ("File created") is noise unless asked for.
    const quiet = mode === "summary" && ok && ["write", "edit"].includes(toolKind(name));
    const body = !hasOutput || quiet ? [] : toolOutputLines(name, e.data.tool_output, mode, previewLines);
    const lines = [...error.map((l) => `  ${l}`), body.length ? indented(body) : ""].filter(Boolean);
    return closeText() + replace + out(`${mark} ${toolTitle(name, input, ok)}\n${lines.length ? `${lines.join("\n")}\n` : ""}`);
  }

  return {
    render(e: Event): string {
      const d = e.data;
      switch (e.type) {
        case "run_started": {
          const model = str(d.model);
          return line(c.dim(`▸ ${e.run_id ?? "run"} · ${str(d.provider) ?? e.provider ?? "provider"}${model ? `/${model}` : ""}`));
        }
        case "message_sent":
          return line(c.dim(`› ${oneLine(contentText(d.content), 200)}`));
        case "message_streamed": {
          const text = streamedText(e);
          if (text === "") return "";
          streamedSinceMessage = true;
          const head = inText ? "" : closeText() + out(`${c.bold("●")} `);
          inText = true;
          return head + out(text);
        }
        case "message_received": {
          const already = streamedSinceMessage;
          streamedSinceMessage = false;
          if (already) return closeText();
          const text = contentText(d.content).replace(/\n$/, "");
          return text ? line(`${c.bold("●")} ${text}`) : "";
        }
        case "tool_call_started": {
          const id = str(d.tool_call_id) ?? "";
          toolInputs.set(id, d.tool_input);
          const text = line(`${c.yellow("◐")} ${toolTitle(str(d.tool_name) ?? "tool", d.tool_input, false)}`);
          pendingToolLine = id;
          return text;
        }
        case "tool_call_completed":
          return toolEnd(e, true);
        case "tool_call_failed":
          return toolEnd(e, false);
        case "tool_approval_requested": {
          const title = toolTitle(str(d.tool_name) ?? "tool", d.tool_input, false);
          return line(
            `${c.yellow("?")} ${c.bold("Approval needed")}: ${title} ${c.dim(`(policy ${str(d.policy_name) ?? "-"}, call ${str(d.tool_call_id) ?? "-"})`)}`,
          );
        }
        case "tool_approval_granted":
          return line(`${c.green("✓")} Approved ${str(d.tool_name) ?? "tool"}${str(d.reason) ? c.dim(` · ${str(d.reason)}`) : ""}`);
        case "tool_approval_denied":
          return line(`${c.red("✗")} Denied ${str(d.tool_name) ?? "tool"}${str(d.reason) ? c.dim(` · ${str(d.reason)}`) : ""}`);
        case "tool_approval_expired":
          return line(`${c.red("✗")} Approval expired for ${str(d.tool_name) ?? "tool"}`);
        case "policy_violation":
          return line(
            c.yellow(`! policy ${str(d.policy) ?? "-"}: ${str(d.kind) ?? "violation"}${str(d.action) ? ` (${str(d.action)})` : ""}`),
          );
        case "error_occurred":
          return line(c.red(`✗ ${oneLine(str(d.error_message) ?? str(d.error_code) ?? "error", 200)}`));
        case "workspace_diff_computed":
          return line(c.dim(`± ${d.files_changed ?? 0} files changed, +${d.insertions ?? 0} -${d.deletions ?? 0}`));
        case "run_completed": {
          const tokens = tokensOf(d);
          const cost = costOf(d);
          const parts = [
            str(d.stop_reason),
            tokens && tokens.input + tokens.output > 0 ? `${tokens.input} in / ${tokens.output} out` : undefined,
            cost !== undefined ? formatCost(cost) : undefined,
          ];
          return line(
            `${c.green("✓")} ${c.bold("Done")}${c.dim(
              parts
                .filter(Boolean)
                .map((p) => ` · ${p}`)
                .join(""),
            )}`,
          );
        }
        case "run_failed":
          return line(`${c.red("✗")} ${c.bold("Failed")} ${c.red(`${failureLabel(d)}: ${oneLine(str(d.error_message) ?? "", 200)}`)}`);
        case "run_cancelled":
          return line(`${c.red("✗")} ${c.bold("Cancelled")}${str(d.reason) ? c.dim(` · ${str(d.reason)}`) : ""}`);
        case "run_timeout":
          return line(`${c.red("✗")} ${c.bold("Timed out")}${typeof d.timeout_ms === "number" ? c.dim(` after ${d.timeout_ms} ms`) : ""}`);
        default:
          return "";
      }
    },
    finish: () => closeText(),
  };
}

import { ClaudeFormatMapper } from "./claude-format";
import type { CliInvocation, ToolNameTable } from "./common";

/**
 * Amp (`amp --execute "<prompt>" --stream-json`). Amp documents its stream as "Claude Code compatible"
 * (ampcode.com/news/streaming-json, ampcode.com/manual): system init with `session_id` (a thread id `T-…`),
 * user/assistant messages with text/tool_use/tool_result blocks, usage on each assistant message, and a final
 * `result` (`subtype: "success"`, or `error_during_execution` etc. with `is_error: true` and an `error` string).
 * So it reuses the Claude-format schemas and mapper. Documentation is thin on: a cost field (none documented; a
 * `total_cost_usd` is used if present), error subtypes beyond `error_during_execution`, and the init `model`
 * (absent in the published examples, so the model stays the requested one or null).
 * Continuation: `amp threads continue <thread id> --execute "<prompt>" --stream-json`.
 */

export const AMP_COMMAND = "amp";

/** Amp's tool names (from a published init line) → ours. */
export const AMP_TOOLS: ToolNameTable = {
  Bash: "bash",
  edit_file: "edit_file",
  create_file: "write_file",
  Read: "read_file",
  Grep: "grep",
  glob: "glob",
  web_search: "web_search",
  read_web_page: "web_fetch",
};

export function buildAmpArgs(inv: CliInvocation): string[] {
  const o = inv.options;
  const sdk = o.sdk_opts ?? {};
  const args = inv.resume_id ? ["threads", "continue", inv.resume_id] : [];
  // `--execute` takes the prompt as its value. Amp documents no `--` terminator, so a leading dash is padded
  // with a space to keep the prompt from being read as a flag.
  const prompt = inv.prompt.startsWith("-") ? ` ${inv.prompt}` : inv.prompt;
  args.push("--execute", prompt, "--stream-json");
  // Amp has one switch for permissions: allow everything, or ask (which, headless, means Amp's own defaults).
  if (o.permission_mode === "full_auto" || o.permission_mode === "dangerously_skip_permissions") args.push("--dangerously-allow-all");
  // Amp picks models by mode (e.g. smart, rush), not by model id.
  if (typeof sdk.mode === "string") args.push("--mode", sdk.mode);
  return args;
}

export function createAmpMapper(requestedModel: string | null): ClaudeFormatMapper {
  return new ClaudeFormatMapper({ provider: "amp", tools: AMP_TOOLS, requestedModel });
}

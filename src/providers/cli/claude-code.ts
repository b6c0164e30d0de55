import type { PermissionMode } from "../../core/run-options";
import { ClaudeFormatMapper } from "./claude-format";
import { providerToolName, type CliInvocation, type ToolNameTable } from "./common";

export { ClaudeStreamLineSchema, type ClaudeStreamLine } from "./claude-format";

/**
 * Claude Code (`claude -p --output-format stream-json --verbose`). The stream format and its mapper live in
 * claude-format.ts (Amp speaks the same); this module holds what is Claude's own: tool names and flags.
 */

export const CLAUDE_COMMAND = "claude";

/** Claude Code's built-in tool names → ours. MCP tools are already `mcp__server__tool`. */
export const CLAUDE_TOOLS: ToolNameTable = {
  Bash: "bash",
  Edit: "edit_file",
  MultiEdit: "edit_file",
  Write: "write_file",
  Read: "read_file",
  NotebookEdit: "edit_notebook",
  Glob: "glob",
  Grep: "grep",
  WebFetch: "web_fetch",
  WebSearch: "web_search",
};

const PERMISSION_FLAGS: Record<PermissionMode, string[]> = {
  default: ["--permission-mode", "default"],
  accept_edits: ["--permission-mode", "acceptEdits"],
  plan: ["--permission-mode", "plan"],
  full_auto: ["--permission-mode", "bypassPermissions"],
  dangerously_skip_permissions: ["--dangerously-skip-permissions"],
};

/** Names for `--allowedTools`/`--disallowedTools`: ours become Claude's (`bash` → `Bash`); rules like `Bash(git:*)` pass. */
function toolArgs(flag: string, names: string[] | undefined): string[] {
  if (!names?.length) return [];
  return [flag, ...[...new Set(names.map((n) => providerToolName(CLAUDE_TOOLS, n)))]];
}

export function buildClaudeArgs(inv: CliInvocation): string[] {
  const { options: o, hints } = inv;
  const sdk = o.sdk_opts ?? {};
  const args = ["-p", "--output-format", "stream-json", "--verbose"];
  // Token-level streaming; `sdk_opts.include_partial_messages: false` for CLI versions without the flag.
  if (sdk.include_partial_messages !== false) args.push("--include-partial-messages");
  if (o.model) args.push("--model", o.model);
  if (o.system_prompt) {
    // Appending keeps Claude Code's own system prompt (its tool instructions); `system_prompt_mode: "replace"` swaps it.
    args.push(sdk.system_prompt_mode === "replace" ? "--system-prompt" : "--append-system-prompt", o.system_prompt);
  }
  if (o.max_turns != null) args.push("--max-turns", String(o.max_turns));
  if (o.permission_mode) args.push(...PERMISSION_FLAGS[o.permission_mode]);
  args.push(...toolArgs("--allowedTools", hints.allowed_tools), ...toolArgs("--disallowedTools", hints.denied_tools));
  if (inv.resume_id) args.push("--resume", inv.resume_id);
  // `--` ends the options: the variadic tool lists cannot swallow the prompt, and a prompt may start with "-".
  args.push("--", inv.prompt);
  return args;
}

export function createClaudeMapper(requestedModel: string | null): ClaudeFormatMapper {
  return new ClaudeFormatMapper({ provider: "claude-code", tools: CLAUDE_TOOLS, requestedModel });
}

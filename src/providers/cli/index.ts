import type { Config } from "../../core/config";
import type { ProviderAdapter, ProviderCapabilities } from "../types";
import { AMP_COMMAND, buildAmpArgs, createAmpMapper } from "./amp";
import { CliAgentAdapter, type CliAdapterDefaults, type CliAdapterSpec } from "./base";
import { CLAUDE_COMMAND, buildClaudeArgs, createClaudeMapper } from "./claude-code";
import { CODEX_COMMAND, buildCodexArgs, createCodexMapper } from "./codex";
import type { CliProviderName } from "./common";

export { CliAgentAdapter, type CliAdapterDefaults, type CliAdapterSpec } from "./base";

const AGENT_CAPABILITIES = [
  { type: "code_execution" as const, name: "bash" },
  { type: "file_access" as const, name: "edit_file" },
  { type: "tool" as const, name: "bash" },
];

function capabilities(hints: ProviderCapabilities["hints"]): ProviderCapabilities {
  return { streaming: true, tools: true, native_continuation: true, hints, capabilities: AGENT_CAPABILITIES };
}

export const CLI_SPECS: Record<CliProviderName, CliAdapterSpec> = {
  "claude-code": {
    name: "claude-code",
    command: CLAUDE_COMMAND,
    buildArgs: buildClaudeArgs,
    createMapper: createClaudeMapper,
    capabilities: capabilities(["allowed_tools", "denied_tools"]),
    credentialEnv: ["ANTHROPIC_API_KEY"],
    apiHosts: ["api.anthropic.com", "statsig.anthropic.com"],
  },
  codex: {
    name: "codex",
    command: CODEX_COMMAND,
    buildArgs: buildCodexArgs,
    createMapper: createCodexMapper,
    capabilities: capabilities([]),
    credentialEnv: ["CODEX_API_KEY", "OPENAI_API_KEY"],
    apiHosts: ["api.openai.com", "chatgpt.com"],
  },
  amp: {
    name: "amp",
    command: AMP_COMMAND,
    buildArgs: buildAmpArgs,
    createMapper: createAmpMapper,
    capabilities: capabilities([]),
    credentialEnv: ["AMP_API_KEY"],
    apiHosts: ["ampcode.com", "*.ampcode.com"],
  },
};

export function createCliAdapter(name: CliProviderName, defaults: CliAdapterDefaults): ProviderAdapter {
  return new CliAgentAdapter(CLI_SPECS[name], defaults);
}

/** Defaults from config: the run timeout, and room for long agent streams in the sandbox's output budget. */
export function cliDefaultsFrom(config: Config): CliAdapterDefaults {
  return {
    timeoutMs: config.defaultRunTimeoutMs,
    maxOutputBytes: Math.max(config.sandboxMaxOutputBytes, 64 * 1024 * 1024),
    errorText: { maxLines: 200, maxBytes: config.errorTextMaxBytes },
  };
}

/** How our normalized options reach each CLI ("—" = no equivalent; the option is ignored for that CLI). */
export const CLI_OPTIONS_TABLE = `
| Option | claude-code | codex | amp |
|---|---|---|---|
| model | \`--model\` | \`--model\` | — (Amp chooses by mode: \`sdk_opts.mode\` → \`--mode\`) |
| system_prompt | \`--append-system-prompt\` (\`sdk_opts.system_prompt_mode: "replace"\` → \`--system-prompt\`) | \`--config developer_instructions=…\` | — |
| max_turns | \`--max-turns\` | — | — |
| permission_mode default | \`--permission-mode default\` | (Codex default: read-only sandbox) | (Amp default) |
| permission_mode accept_edits | \`--permission-mode acceptEdits\` | \`--sandbox workspace-write\` | — |
| permission_mode plan | \`--permission-mode plan\` | \`--sandbox read-only\` | — |
| permission_mode full_auto | \`--permission-mode bypassPermissions\` | \`--full-auto\` | \`--dangerously-allow-all\` |
| permission_mode dangerously_skip_permissions | \`--dangerously-skip-permissions\` | \`--dangerously-bypass-approvals-and-sandbox\` | \`--dangerously-allow-all\` |
| cwd | process cwd | process cwd + \`--cd\` | process cwd |
| hints.allowed_tools | \`--allowedTools\` (bash→Bash, edit_file→Edit, write_file→Write, read_file→Read) | — (reactive only) | — (reactive only) |
| hints.denied_tools | \`--disallowedTools\` | — (reactive only) | — (reactive only) |
| hints.max_tokens | — | — | — |
| timeout_ms | sandbox exec timeout | sandbox exec timeout | sandbox exec timeout |
| env | process env | process env | process env |
| native continuation | \`--resume <session_id>\` | \`exec resume <thread_id>\` | \`threads continue <thread_id>\` |
| streaming | \`--include-partial-messages\` (off: \`sdk_opts.include_partial_messages: false\`) | whole items | whole messages |
| other | — | \`--skip-git-repo-check\` (off: \`sdk_opts.skip_git_repo_check: false\`) | — |
`.trim();

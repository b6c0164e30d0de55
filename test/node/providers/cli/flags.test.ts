import { describe, expect, it } from "vitest";
import { buildAmpArgs } from "../../../../src/providers/cli/amp";
import { buildClaudeArgs } from "../../../../src/providers/cli/claude-code";
import { buildCodexArgs } from "../../../../src/providers/cli/codex";
import type { CliInvocation } from "../../../../src/providers/cli/common";
import { CLI_OPTIONS_TABLE } from "../../../../src/providers/cli/index";
import { PERMISSION_MODES, type PermissionMode, type RunOptions } from "../../../../src/core/run-options";
import type { ProviderHints } from "../../../../src/providers/types";

const inv = (options: RunOptions = {}, hints: ProviderHints = {}, resume_id: string | null = null, prompt = "fix it"): CliInvocation => ({
  prompt,
  options,
  hints,
  resume_id,
});

/** The value following `flag`, or undefined. */
const flagAfter = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};

describe("Claude Code flags", () => {
  it("always asks for the verbose stream-json print mode and ends options before the prompt", () => {
    const args = buildClaudeArgs(inv({}, {}, null, "-starts with a dash"));
    expect(args.slice(0, 5)).toEqual(["-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages"]);
    expect(args.slice(-2)).toEqual(["--", "-starts with a dash"]);
    expect(buildClaudeArgs(inv({ sdk_opts: { include_partial_messages: false } }))).not.toContain("--include-partial-messages");
  });

  it("maps model, system prompt, max turns and resume", () => {
    const args = buildClaudeArgs(inv({ model: "claude-opus-4-1", system_prompt: "Be terse.", max_turns: 7 }, {}, "sess-1"));
    expect(flagAfter(args, "--model")).toBe("claude-opus-4-1");
    expect(flagAfter(args, "--append-system-prompt")).toBe("Be terse.");
    expect(flagAfter(args, "--max-turns")).toBe("7");
    expect(flagAfter(args, "--resume")).toBe("sess-1");
    const replace = buildClaudeArgs(inv({ system_prompt: "Only this.", sdk_opts: { system_prompt_mode: "replace" } }));
    expect(flagAfter(replace, "--system-prompt")).toBe("Only this.");
    expect(replace).not.toContain("--append-system-prompt");
    expect(buildClaudeArgs(inv({ max_turns: null }))).not.toContain("--max-turns");
  });

  it("maps every permission mode", () => {
    const expected: Record<PermissionMode, string[]> = {
      default: ["--permission-mode", "default"],
      accept_edits: ["--permission-mode", "acceptEdits"],
      plan: ["--permission-mode", "plan"],
      full_auto: ["--permission-mode", "bypassPermissions"],
      dangerously_skip_permissions: ["--dangerously-skip-permissions"],
    };
    for (const mode of PERMISSION_MODES) {
      const args = buildClaudeArgs(inv({ permission_mode: mode }));
      const i = args.indexOf(expected[mode][0]!);
      expect(args.slice(i, i + expected[mode].length)).toEqual(expected[mode]);
    }
  });

  it("passes tool hints in Claude's names, keeping rules and MCP names as they are", () => {
    const args = buildClaudeArgs(
      inv(
        {},
        { allowed_tools: ["bash", "read_file", "Bash(git log:*)", "mcp__github__create_issue"], denied_tools: ["write_file", "edit_file"] },
      ),
    );
    const allowAt = args.indexOf("--allowedTools");
    const denyAt = args.indexOf("--disallowedTools");
    expect(args.slice(allowAt + 1, denyAt)).toEqual(["Bash", "Read", "Bash(git log:*)", "mcp__github__create_issue"]);
    expect(args.slice(denyAt + 1, args.indexOf("--"))).toEqual(["Write", "Edit"]);
  });
});

describe("Codex flags", () => {
  it("runs exec --json with model, cwd, instructions, the git check skipped, and resume before the prompt", () => {
    const args = buildCodexArgs(inv({ model: "gpt-5-codex", cwd: "repo", system_prompt: 'Say "hi".' }, {}, "thread-9"));
    expect(args.slice(0, 2)).toEqual(["exec", "--json"]);
    expect(flagAfter(args, "--model")).toBe("gpt-5-codex");
    expect(flagAfter(args, "--cd")).toBe("repo");
    expect(args).toContain("--skip-git-repo-check");
    expect(flagAfter(args, "--config")).toBe('developer_instructions="Say \\"hi\\"."');
    expect(args.slice(-4)).toEqual(["resume", "thread-9", "--", "fix it"]);
    expect(buildCodexArgs(inv({ sdk_opts: { skip_git_repo_check: false } }))).not.toContain("--skip-git-repo-check");
  });

  it("maps permission modes to sandbox flags and ignores what Codex cannot do", () => {
    const flags = (mode: PermissionMode) =>
      buildCodexArgs(inv({ permission_mode: mode })).filter(
        (a) => a.startsWith("--") && a !== "--" && a !== "--json" && a !== "--skip-git-repo-check",
      );
    expect(flags("default")).toEqual([]);
    expect(flagAfter(buildCodexArgs(inv({ permission_mode: "accept_edits" })), "--sandbox")).toBe("workspace-write");
    expect(flagAfter(buildCodexArgs(inv({ permission_mode: "plan" })), "--sandbox")).toBe("read-only");
    expect(flags("full_auto")).toEqual(["--full-auto"]);
    expect(flags("dangerously_skip_permissions")).toEqual(["--dangerously-bypass-approvals-and-sandbox"]);
    const ignored = buildCodexArgs(inv({ max_turns: 3 }, { allowed_tools: ["bash"], denied_tools: ["write_file"] }));
    expect(ignored).toEqual(["exec", "--json", "--skip-git-repo-check", "--", "fix it"]);
  });
});

describe("Amp flags", () => {
  it("executes the prompt with the stream-json output, continuing a thread when resumed", () => {
    expect(buildAmpArgs(inv())).toEqual(["--execute", "fix it", "--stream-json"]);
    expect(buildAmpArgs(inv({}, {}, "T-abc"))).toEqual(["threads", "continue", "T-abc", "--execute", "fix it", "--stream-json"]);
    expect(flagAfter(buildAmpArgs(inv({}, {}, null, "-x marks")), "--execute")).toBe(" -x marks");
  });

  it("allows all only for the auto modes; mode from sdk_opts; no model or tool flags", () => {
    for (const mode of PERMISSION_MODES) {
      const allowAll = buildAmpArgs(inv({ permission_mode: mode })).includes("--dangerously-allow-all");
      expect(allowAll).toBe(mode === "full_auto" || mode === "dangerously_skip_permissions");
    }
    expect(flagAfter(buildAmpArgs(inv({ sdk_opts: { mode: "rush" } })), "--mode")).toBe("rush");
    expect(buildAmpArgs(inv({ model: "x", system_prompt: "y", max_turns: 2 }, { denied_tools: ["bash"] }))).toEqual([
      "--execute",
      "fix it",
      "--stream-json",
    ]);
  });
});

it("the option table names every normalized option", () => {
  for (const option of [
    "model",
    "system_prompt",
    "max_turns",
    "permission_mode",
    "cwd",
    "hints.allowed_tools",
    "hints.denied_tools",
    "hints.max_tokens",
    "timeout_ms",
  ]) {
    expect(CLI_OPTIONS_TABLE).toContain(`| ${option}`);
  }
});

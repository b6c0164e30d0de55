import { z } from "zod";
import type { JsonObject } from "../core/json";
import type { PermissionMode } from "../core/run-options";
import type { SandboxPort } from "../core/sandbox-port";

/**
 * The sandbox tool set offered to model agents. Permission modes, for these tools:
 * - `plan`: read-only — `read_file` and `list_files` run; `bash`, `write_file`, `edit_file` are refused unrun.
 * - `default`, `accept_edits`, `full_auto`, `dangerously_skip_permissions`: every tool is offered. Each call still
 *   passes the policy runtime first (allow/deny, approval gates, budgets): policies are never skipped.
 */
export const TOOL_INPUTS = {
  bash: z.object({ command: z.string().min(1), timeout_ms: z.number().int().min(1).max(600_000).optional() }),
  read_file: z.object({ path: z.string().min(1) }),
  write_file: z.object({ path: z.string().min(1), content: z.string() }),
  edit_file: z.object({
    path: z.string().min(1),
    old_string: z.string().min(1),
    new_string: z.string(),
    replace_all: z.boolean().optional(),
  }),
  list_files: z.object({ path: z.string().optional(), recursive: z.boolean().optional() }),
} as const;
export type ToolName = keyof typeof TOOL_INPUTS;

export const TOOL_DESCRIPTIONS: Record<ToolName, string> = {
  bash: "Run a shell command in the workspace and return its output and exit code.",
  read_file: "Read a text file from the workspace.",
  write_file: "Create or overwrite a text file in the workspace.",
  edit_file: "Replace an exact string in a file (old_string must occur once unless replace_all).",
  list_files: "List files under a directory of the workspace.",
};

const READ_ONLY: ReadonlySet<ToolName> = new Set(["read_file", "list_files"]);
/** Tool output handed back to the model is capped; the full output is in the tool events. */
/** What a model agent that runs these sandbox tools in a loop can do (the Anthropic and OpenAI adapters). */
export const SANDBOX_TOOL_AGENT_CAPABILITIES = {
  streaming: true,
  tools: true,
  native_continuation: false,
  hints: [] as [],
  capabilities: [
    { type: "tool" as const, name: "bash" },
    { type: "code_execution" as const, name: "bash" },
    { type: "file_access" as const, name: "files" },
  ],
};

export const TOOL_OUTPUT_MAX_CHARS = 30_000;

/** The tools a permission mode offers, with JSON schemas for the model. */
export function toolDefinitions(mode: PermissionMode | undefined): { name: ToolName; description: string; input_schema: JsonObject }[] {
  return (Object.keys(TOOL_INPUTS) as ToolName[])
    .filter((name) => mode !== "plan" || READ_ONLY.has(name))
    .map((name) => ({ name, description: TOOL_DESCRIPTIONS[name], input_schema: z.toJSONSchema(TOOL_INPUTS[name]) as JsonObject }));
}

function cap(text: string): string {
  return text.length > TOOL_OUTPUT_MAX_CHARS
    ? `${text.slice(0, TOOL_OUTPUT_MAX_CHARS)}\n[output truncated: ${text.length - TOOL_OUTPUT_MAX_CHARS} more characters]`
    : text;
}

/** Runs one tool call in the sandbox. Failures come back as `{ok: false}` for the model, never as a throw. */
export async function runTool(
  sandbox: SandboxPort,
  name: string,
  input: unknown,
  mode: PermissionMode | undefined,
  signal: AbortSignal,
): Promise<{ ok: boolean; output: string }> {
  if (!(name in TOOL_INPUTS)) return { ok: false, output: `Unknown tool '${name}'` };
  const tool = name as ToolName;
  if (mode === "plan" && !READ_ONLY.has(tool)) return { ok: false, output: `'${tool}' is not allowed in plan mode (read-only)` };
  const parsed = TOOL_INPUTS[tool].safeParse(input);
  if (!parsed.success) return { ok: false, output: `Invalid input for ${tool}: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  try {
    switch (tool) {
      case "bash": {
        const args = parsed.data as z.infer<typeof TOOL_INPUTS.bash>;
        const r = await sandbox.exec({ command: args.command, ...(args.timeout_ms ? { timeout_ms: args.timeout_ms } : {}) }, signal);
        const ended = r.limit_exceeded ? `[ended by the sandbox: ${r.limit_exceeded} limit exceeded]` : `[exit ${r.exit_code ?? r.signal}]`;
        const text = [r.stdout, r.stderr ? `[stderr]\n${r.stderr}` : "", ended].filter(Boolean).join("\n");
        return { ok: r.exit_code === 0, output: cap(text) };
      }
      case "read_file":
        return { ok: true, output: cap(await sandbox.readFile((parsed.data as { path: string }).path)) };
      case "write_file": {
        const args = parsed.data as z.infer<typeof TOOL_INPUTS.write_file>;
        await sandbox.writeFile(args.path, args.content);
        return { ok: true, output: `Wrote ${args.content.split("\n").length} lines to ${args.path}` };
      }
      case "edit_file": {
        const args = parsed.data as z.infer<typeof TOOL_INPUTS.edit_file>;
        const current = await sandbox.readFile(args.path);
        const count = current.split(args.old_string).length - 1;
        if (count === 0) return { ok: false, output: `old_string not found in ${args.path}` };
        if (count > 1 && !args.replace_all)
          return { ok: false, output: `old_string occurs ${count} times in ${args.path}; pass replace_all or a longer string` };
        await sandbox.writeFile(args.path, current.split(args.old_string).join(args.new_string));
        return {
          ok: true,
          output: `Edited ${args.path} (${args.replace_all ? count : 1} replacement${count > 1 && args.replace_all ? "s" : ""})`,
        };
      }
      case "list_files": {
        const args = parsed.data as z.infer<typeof TOOL_INPUTS.list_files>;
        const entries = await sandbox.listFiles(args.path ?? ".", { recursive: args.recursive ?? false });
        return { ok: true, output: cap(entries.map((e) => `${e.type === "dir" ? "d" : "-"} ${e.path}`).join("\n")) };
      }
    }
  } catch (err) {
    return { ok: false, output: err instanceof Error ? err.message : String(err) };
  }
}

import { compactJson, num, obj, oneLine, str } from "./fields";
import type { ToolOutputMode } from "./types";

/**
 * Human summaries of tool calls (for the studio renderer): the command for a shell tool, the path for file tools,
 * the pattern for searches, and compact JSON only for tools we do not know.
 */
type Kind = "shell" | "read" | "write" | "edit" | "search" | "list" | "other";

const KINDS: Record<string, Kind> = {
  bash: "shell",
  shell: "shell",
  exec: "shell",
  run_command: "shell",
  command: "shell",
  local_shell: "shell",
  read: "read",
  read_file: "read",
  view: "read",
  cat: "read",
  write: "write",
  write_file: "write",
  create_file: "write",
  edit: "edit",
  multiedit: "edit",
  str_replace: "edit",
  str_replace_based_edit_tool: "edit",
  apply_patch: "edit",
  patch: "edit",
  grep: "search",
  glob: "search",
  search: "search",
  find: "search",
  rg: "search",
  websearch: "search",
  ls: "list",
  list: "list",
  list_dir: "list",
  list_files: "list",
};

export function toolKind(name: string): Kind {
  return KINDS[name.toLowerCase()] ?? "other";
}

const pathOf = (input: Record<string, unknown>) => str(input.file_path) ?? str(input.path) ?? str(input.filename) ?? str(input.file);

function lineCount(text: string): number {
  if (text === "") return 0;
  return text.replace(/\n$/, "").split("\n").length;
}

/** The title of a tool call: before it ends (`done` false) and after. */
export function toolTitle(name: string, rawInput: unknown, done: boolean): string {
  const input = obj(rawInput);
  const path = pathOf(input);
  switch (toolKind(name)) {
    case "shell": {
      const command = str(input.command) ?? str(input.cmd) ?? (Array.isArray(input.command) ? input.command.join(" ") : undefined);
      const args = Array.isArray(input.args) ? ` ${input.args.map(String).join(" ")}` : "";
      return command ? `$ ${oneLine(command + args, 160)}` : `${name}`;
    }
    case "read":
      return path ? `Read ${path}` : name;
    case "write": {
      const content = str(input.content) ?? str(input.text);
      if (!path) return name;
      return done && content !== undefined
        ? `Wrote ${lineCount(content)} line${lineCount(content) === 1 ? "" : "s"} to ${path}`
        : `Write ${path}`;
    }
    case "edit":
      return path ? `${done ? "Edited" : "Edit"} ${path}` : done ? `Edited (${name})` : name;
    case "search": {
      const pattern = str(input.pattern) ?? str(input.query) ?? str(input.regex) ?? str(input.glob);
      return pattern ? `Search "${oneLine(pattern, 60)}"${path ? ` in ${path}` : ""}` : name;
    }
    case "list":
      return `List ${path ?? "."}`;
    default:
      return Object.keys(input).length ? `${name} ${compactJson(input, 80)}` : name;
  }
}

export type ToolOutput = { text: string; stderr: string; exitCode: number | null | undefined; truncated: boolean };

/** The readable part of a tool's output, whatever shape the adapter gave it. */
export function toolOutput(raw: unknown): ToolOutput {
  if (typeof raw === "string") return { text: raw, stderr: "", exitCode: undefined, truncated: false };
  if (raw === null || raw === undefined) return { text: "", stderr: "", exitCode: undefined, truncated: false };
  const o = obj(raw);
  const text = str(o.output) ?? str(o.stdout) ?? str(o.content) ?? str(o.result) ?? str(o.text);
  return {
    text: text ?? JSON.stringify(raw, null, 2),
    stderr: str(o.stderr) ?? "",
    exitCode: o.exit_code === null ? null : num(o.exit_code),
    truncated: o.truncated === true,
  };
}

/** Output lines under a tool's status line, per mode. `indent` prefixes every line. */
export function toolOutputLines(name: string, raw: unknown, mode: ToolOutputMode, previewLines: number): string[] {
  const out = toolOutput(raw);
  const body = [out.text.replace(/\n$/, ""), out.stderr.replace(/\n$/, "")].filter(Boolean).join("\n");
  const lines = body === "" ? [] : body.split("\n");
  const exit = out.exitCode !== undefined && out.exitCode !== null && out.exitCode !== 0 ? ` · exit ${out.exitCode}` : "";
  const cut = out.truncated ? " · truncated" : "";
  if (mode === "summary" || lines.length === 0) {
    const what =
      toolKind(name) === "read"
        ? `Read ${lines.length} line${lines.length === 1 ? "" : "s"}`
        : lines.length === 0
          ? "(no output)"
          : `${lines.length} line${lines.length === 1 ? "" : "s"}`;
    return [`⎿ ${what}${exit}${cut}`];
  }
  const shown = mode === "full" ? lines : lines.slice(0, previewLines);
  const rest = lines.length - shown.length;
  const result = shown.map((line, i) => `${i === 0 ? "⎿ " : "  "}${line}`);
  if (rest > 0) result.push(`  … +${rest} line${rest === 1 ? "" : "s"}`);
  if (exit || cut) result.push(`  ${(exit + cut).slice(3)}`);
  return result;
}

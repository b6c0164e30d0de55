import { z } from "zod";

/**
 * Paths a caller gives for a run (`workspace.path`, `options.cwd`, a shell input's `cwd`) always name something
 * inside the session's workspace: relative to it, or absolute under `/workspace` (where commands see it). Anything
 * else is refused when the run is submitted, before the sandbox is asked.
 */

export const JAIL_WORKSPACE_ROOT = "/workspace";

/** The workspace-relative form of `path` (`.` for the root), or null when it leaves the workspace. */
export function workspaceRelative(path: string): string | null {
  if (path.includes("\0")) return null;
  let rest = path;
  if (rest.startsWith("/")) {
    if (rest !== JAIL_WORKSPACE_ROOT && !rest.startsWith(`${JAIL_WORKSPACE_ROOT}/`)) return null;
    rest = rest.slice(JAIL_WORKSPACE_ROOT.length);
  }
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.length === 0 ? "." : parts.join("/");
}

export const WorkspacePathSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => workspaceRelative(p) !== null, {
    error: `must stay inside the session's workspace: a relative path, or an absolute one under ${JAIL_WORKSPACE_ROOT}`,
  });

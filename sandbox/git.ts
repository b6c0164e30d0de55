import { dirname } from "node:path";
import { AppError } from "../src/core/errors";
import type { Workspace } from "./paths";

/**
 * Runs git for the server (snapshots, diffs, rollback) inside the workspace's own jail, as the workspace's user,
 * without network and with a timeout: whatever a hostile repository configures (fsmonitor, hooks, filters,
 * textconv, diff drivers, ssh commands, credential helpers, alternates or includes pointing at other folders)
 * can do no more than the run itself could. The common hooks are also switched off, so snapshots stay fast and
 * do not depend on what the repository runs.
 */

export type GitResult = { code: number | null; stdout: string; stderr: string };
export type GitOptions = { env?: Record<string, string>; allowFailure?: boolean };

export const GIT_TIMEOUT_MS = Number(process.env.SANDBOX_GIT_TIMEOUT_MS ?? 120_000);

/** Patches can be large; capPatch trims them afterwards to what the caller asked for. */
const GIT_MAX_OUTPUT_BYTES = 268_435_456;

const IDENTITY = {
  GIT_AUTHOR_NAME: "asm-sandbox",
  GIT_AUTHOR_EMAIL: "asm-sandbox@localhost",
  GIT_COMMITTER_NAME: "asm-sandbox",
  GIT_COMMITTER_EMAIL: "asm-sandbox@localhost",
};

/** Settings that stop git from running anything a repository names, on the command line (highest precedence). */
export const NEUTRAL_GIT_CONFIG = [
  "core.fsmonitor=false",
  "core.hooksPath=/dev/null",
  "core.sshCommand=false",
  "core.pager=cat",
  "core.askPass=false",
  "core.editor=false",
  "core.attributesFile=/dev/null",
  "core.untrackedCache=false",
  "credential.helper=",
  "diff.external=",
  "protocol.allow=never",
  "gc.auto=0",
  "maintenance.auto=false",
  "safe.directory=*",
].flatMap((setting) => ["-c", setting]);

export function gitEnv(ws: Workspace, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...IDENTITY,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    // Discovery never climbs above the workspace (in a jail the workspace's parent is the jail's root).
    GIT_CEILING_DIRECTORIES: ws.jailed ? "/" : dirname(ws.realDir),
    LC_ALL: "C",
    ...extra,
  };
}

export async function git(ws: Workspace, cwd: string, args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const res = await ws.run({
    command: "git",
    args: [...NEUTRAL_GIT_CONFIG, ...args],
    cwd,
    env: gitEnv(ws, opts.env),
    timeout_ms: GIT_TIMEOUT_MS,
    max_output_bytes: GIT_MAX_OUTPUT_BYTES,
  });
  if (res.timed_out) throw new AppError("timeout", `git ${args[0]} took longer than ${GIT_TIMEOUT_MS} ms`, { args: args.slice(0, 3) });
  const result = { code: res.exit_code, stdout: res.stdout, stderr: res.stderr };
  if (res.exit_code === 127 && /git/.test(res.stderr) && /not found|No such file/.test(res.stderr)) {
    throw new AppError("dependency_not_available", `git could not be started: ${res.stderr.trim()}`);
  }
  if (res.exit_code !== 0 && !opts.allowFailure) {
    throw new AppError("internal_error", `git ${args[0]} failed: ${res.stderr.trim() || `exit ${res.exit_code}`}`, {
      args,
      exit_code: res.exit_code,
    });
  }
  return result;
}

/** `git … ` output with the trailing newline removed. */
export async function gitLine(ws: Workspace, cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  return (await git(ws, cwd, args, opts)).stdout.trim();
}

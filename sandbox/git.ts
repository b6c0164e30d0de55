import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { AppError } from "../src/core/errors";

/** Runs git without a shell, capturing output. Discovery never climbs above the workspace (ceiling dirs). */

export type GitResult = { code: number | null; stdout: string; stderr: string };
export type GitOptions = { env?: Record<string, string>; workspaceDir: string; allowFailure?: boolean };

const IDENTITY = {
  GIT_AUTHOR_NAME: "asm-sandbox",
  GIT_AUTHOR_EMAIL: "asm-sandbox@localhost",
  GIT_COMMITTER_NAME: "asm-sandbox",
  GIT_COMMITTER_EMAIL: "asm-sandbox@localhost",
};

function gitEnv(opts: GitOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...IDENTITY, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  delete env.SANDBOX_TOKEN;
  // Without a ceiling, a workspace without its own repository would be mistaken for part of an enclosing one.
  env.GIT_CEILING_DIRECTORIES = dirname(opts.workspaceDir);
  for (const key of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"]) delete env[key];
  return { ...env, ...opts.env };
}

export function git(cwd: string, args: string[], opts: GitOptions): Promise<GitResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn("git", args, { cwd, env: gitEnv(opts), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new AppError("dependency_not_available", `git could not be started: ${e.message}`)));
    child.on("close", (code) => {
      const result = { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
      if (code !== 0 && !opts.allowFailure) {
        reject(new AppError("internal_error", `git ${args[0]} failed: ${result.stderr.trim() || `exit ${code}`}`, { args, exit_code: code }));
      } else {
        resolveRun(result);
      }
    });
  });
}

/** `git … ` output with the trailing newline removed. */
export async function gitLine(cwd: string, args: string[], opts: GitOptions): Promise<string> {
  return (await git(cwd, args, opts)).stdout.trim();
}

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandboxServer, type SandboxServer } from "../../../sandbox/server";
import { SandboxClient } from "../../../src/sandbox/client";

/** A real sandbox server on a free port over a fresh temporary root. */
export type TestSandbox = {
  server: SandboxServer;
  root: string;
  token: string;
  call(
    method: string,
    path: string,
    opts?: { body?: unknown; workspace?: string; token?: string | null; raw?: string },
  ): Promise<{ status: number; body: any }>;
  client(workspace: string): SandboxClient;
  stop(): Promise<void>;
};

export async function startTestSandbox(
  killGraceMs = 1_000,
  heartbeatMs?: number,
  rootDir?: string,
  readOnlyPaths: string[] = [],
): Promise<TestSandbox> {
  const root = rootDir ?? mkdtempSync(join(tmpdir(), "asm-sandbox-test-"));
  const token = `tok_${Math.random().toString(36).slice(2)}`;
  // Tests demand real isolation: without bubblewrap they fail instead of silently running unconfined.
  // A short reattach grace: a client that disconnects and does not come back loses its process within a second.
  const server = await startSandboxServer({
    port: 0,
    token,
    root,
    killGraceMs,
    heartbeatMs,
    isolation: "bubblewrap",
    readOnlyPaths,
    reattachGraceMs: 1_000,
  });
  return {
    server,
    root,
    token,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { "x-sandbox-workspace": opts.workspace ?? "ws1" };
      if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? token}`;
      const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await res.text();
      // `any`: tests inspect arbitrary response shapes field by field.
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // NDJSON or plain text stays a string.
      }
      return { status: res.status, body: parsed };
    },
    client(workspace) {
      return new SandboxClient({ fetcher: { fetch: (r) => fetch(r) }, baseUrl: server.url, token, workspace });
    },
    async stop() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** True while a process exists and is not a zombie (reaping of orphans is not ours to wait for). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export function gitIn(cwd: string, ...args: string[]): string {
  // The workspace belongs to its sandbox user, not to the test's.
  return execFileSync("git", ["-c", "safe.directory=*", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
  });
}

/**
 * Files a test writes straight into a workspace belong to the test's user; hand them to the workspace's own user
 * (the owner of the workspace folder), as if a run had written them.
 */
export function handBack(dir: string): void {
  execFileSync("chown", ["-R", `--reference=${workspaceOf(dir)}`, dir]);
}

function workspaceOf(dir: string): string {
  // <root>/<workspace>/...: the workspace folder is the first level under the sandbox root (asm-sandbox-test-*).
  const parts = dir.split("/");
  const at = parts.findIndex((p) => p.startsWith("asm-sandbox-test-"));
  return parts.slice(0, at + 2).join("/");
}

/** Host pids of processes whose environment holds `entry` (`NAME=value`): finds a jailed process from outside. */
export function hostPidsWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/**
 * Timeout of a test that takes several git snapshots in jails: each one is a handful of jailed git processes, which
 * on a busy 2-core machine can take seconds apiece. Bounded by what the test does, not by the clock.
 */
export const GIT_HEAVY_MS = 90_000;

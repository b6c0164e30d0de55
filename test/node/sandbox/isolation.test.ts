import { execSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GIT_HEAVY_MS, isAlive, startTestSandbox, waitUntil, type TestSandbox } from "./helpers";

/**
 * The isolation contract, attacked directly at the sandbox server: resource bounds, the network policy, git that
 * a workspace configures, hard delete and a killed server. (test/workers/isolation.test.ts attacks it through the
 * real API.)
 */

let sb: TestSandbox;
let outside: Server;
let outsidePort = 0;
beforeAll(async () => {
  sb = await startTestSandbox();
  // A listener on the host's loopback stands in for the outside world.
  outside = createServer((_req, res) => res.end("outside-world-answer"));
  await new Promise<void>((r) => outside.listen(0, "127.0.0.1", r));
  outsidePort = (outside.address() as AddressInfo).port;
});
afterAll(async () => {
  outside.close();
  await sb.stop();
});

const exec = (workspace: string, body: Record<string, unknown>) => sb.call("POST", "/exec", { workspace, body });

/** Host pids of processes whose whole command line is `args`. */
function hostPids(args: string): number[] {
  return execSync("ps -eo pid=,args=")
    .toString()
    .split("\n")
    .map((l) => /^\s*(\d+)\s(.*)$/.exec(l))
    .filter((m) => m?.[2] === args)
    .map((m) => Number(m![1]));
}

describe("identity", () => {
  it("commands run as the workspace's own user, with no capabilities and no way to gain any", async () => {
    const { body } = await exec("who", {
      command: "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; stat -c %u /workspace",
    });
    const [uid, capEff, capBnd, noNewPrivs, owner] = body.stdout.trim().split("\n");
    expect(Number(uid)).toBeGreaterThanOrEqual(200_000);
    expect(capEff).toMatch(/CapEff:\s+0+$/);
    expect(capBnd).toMatch(/CapBnd:\s+0+$/);
    expect(noNewPrivs).toMatch(/NoNewPrivs:\s+1/);
    expect(owner).toBe(uid);
    const other = await exec("who-else", { command: "id -u" });
    expect(other.body.stdout.trim()).not.toBe(uid);
  });

  it("works with a sandbox root the workspace users cannot walk to (inside a 0700 folder)", async () => {
    const parent = mkdtempSync(join(tmpdir(), "asm-private-"));
    const inner = await startTestSandbox(300, undefined, join(parent, "deep", "root"));
    try {
      const { body } = await inner.call("POST", "/exec", { body: { command: "echo ok > f && cat f && pwd" } });
      expect(body.stdout).toBe("ok\n/workspace\n");
    } finally {
      await inner.stop();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe("resource bounds", () => {
  it("a fork bomb ends with limit_exceeded=processes while another workspace's command runs normally", async () => {
    const bomb = exec("bomb", { command: "b(){ b | b & }; b; sleep 30", limits: { max_processes: 48 }, timeout_ms: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    const other = await exec("calm", { command: "echo calm" });
    expect(other.body).toMatchObject({ exit_code: 0, stdout: "calm\n", limit_exceeded: null });
    const { body } = await bomb;
    expect(body.limit_exceeded).toBe("processes");
    expect(body.timed_out).toBe(false);
  });

  it("a memory hog ends with limit_exceeded=memory", async () => {
    const { body } = await exec("hog", {
      command: "node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'",
      limits: { max_memory_bytes: 128 * 1024 * 1024 },
      timeout_ms: 60_000,
    });
    expect(body.limit_exceeded).toBe("memory");
  });

  it("a disk filler ends with limit_exceeded=workspace_size", async () => {
    const { body } = await exec("filler", {
      command: "i=0; while true; do i=$((i+1)); head -c 1000000 /dev/zero > f$i; sleep 0.02; done",
      limits: { max_workspace_bytes: 5_000_000 },
      timeout_ms: 60_000,
    });
    expect(body.limit_exceeded).toBe("workspace_size");
  });

  it("one file larger than max_file_bytes ends with limit_exceeded=file_size", async () => {
    const { body } = await exec("bigfile", { command: "head -c 5000000 /dev/zero > big", limits: { max_file_bytes: 1_000_000 } });
    expect(body.limit_exceeded).toBe("file_size");
  });

  it("CPU time beyond max_cpu_seconds ends with limit_exceeded=cpu_time", async () => {
    const { body } = await exec("spin", {
      command: "exec sh -c 'while :; do :; done'",
      limits: { max_cpu_seconds: 1 },
      timeout_ms: 60_000,
    });
    expect(body.limit_exceeded).toBe("cpu_time");
  });
});

describe("network policy", () => {
  const probe = (port: number, extra = "") => `curl -s -S --max-time 5 ${extra} http://127.0.0.1:${port}/ ; echo " exit=$?"`;

  it("none (the default): nothing outside the jail is reachable, and no proxy is offered", async () => {
    const { body } = await exec("net", { command: `${probe(outsidePort)}; env | grep -ci proxy || true` });
    expect(body.stdout).not.toContain("outside-world-answer");
    expect(body.stdout).toMatch(/exit=7/);
    expect(body.stdout.trim().endsWith("0")).toBe(true);
  });

  it("all: the host network is reachable", async () => {
    const { body } = await exec("net", { command: probe(outsidePort), network: "all" });
    expect(body.stdout).toContain("outside-world-answer");
  });

  it("an allow list lets listed hosts through the proxy, refuses others, and a client that ignores the proxy gets nowhere", async () => {
    const network = { allow: ["127.0.0.1"] };
    // NO_PROXY names the jail's own loopback, so reaching the host's 127.0.0.1 needs the proxy named explicitly.
    const listed = await exec("net", {
      command: `curl -s -S --max-time 5 --noproxy '' -x "$HTTP_PROXY" http://127.0.0.1:${outsidePort}/`,
      network,
    });
    expect(listed.body.stdout).toBe("outside-world-answer");
    const unlisted = await exec("net", {
      command: `curl -s -o /dev/null -w '%{http_code}' --max-time 5 --noproxy '' -x "$HTTP_PROXY" http://localhost:${outsidePort}/`,
      network,
    });
    expect(unlisted.body.stdout).toBe("403");
    const tls = await exec("net", { command: `curl -s -S --max-time 5 https://example.com/ ; echo " exit=$?"`, network });
    expect(tls.body.stdout).toMatch(/exit=(56|35|7)/);
    const direct = await exec("net", { command: probe(outsidePort, "--noproxy '*'"), network });
    expect(direct.body.stdout).not.toContain("outside-world-answer");
  });
});

describe("git that a workspace configures never runs outside the jail", () => {
  it(
    "fsmonitor, hooks, filters, textconv and an include of a host file during snapshot, diff and rollback",
    async () => {
      const marker = join(sb.root, `pwned-${process.pid}`);
      const hostile = [
        "git init -q repo && cd repo",
        "echo one > a.txt && echo '*.txt filter=evil diff=evil' > .gitattributes",
        `git config core.fsmonitor 'touch ${marker}-fsmonitor; false'`,
        `git config filter.evil.clean 'touch ${marker}-clean; cat'`,
        `git config filter.evil.smudge 'touch ${marker}-smudge; cat'`,
        `git config diff.evil.textconv 'touch ${marker}-textconv; cat'`,
        `git config include.path ${join(process.cwd(), "package.json")}`,
        "mkdir -p .git/hooks",
        `printf '#!/bin/sh\\ntouch ${marker}-hook\\n' > .git/hooks/reference-transaction && chmod +x .git/hooks/reference-transaction`,
        "git -c core.fsmonitor=false -c include.path= add -A 2>/dev/null; git -c core.fsmonitor=false commit -qm init 2>/dev/null; true",
      ].join(" && ");
      await exec("gitws", { command: hostile });
      const before = await sb.call("POST", "/workspace/snapshot", { workspace: "gitws", body: { path: "repo", backend: "git" } });
      expect(before.status).toBe(200);
      await exec("gitws", { command: "echo two >> repo/a.txt && echo new > repo/b.txt" });
      const after = await sb.call("POST", "/workspace/snapshot", { workspace: "gitws", body: { path: "repo", backend: "git" } });
      const diff = await sb.call("POST", "/workspace/diff", { workspace: "gitws", body: { from: before.body, to: after.body } });
      expect(diff.status).toBe(200);
      const rollback = await sb.call("POST", "/workspace/rollback", { workspace: "gitws", body: { snapshot: before.body } });
      expect(rollback.status).toBe(200);
      for (const suffix of ["fsmonitor", "clean", "smudge", "textconv", "hook"]) expect(existsSync(`${marker}-${suffix}`)).toBe(false);
    },
    GIT_HEAVY_MS,
  );
});

describe("lifecycle", () => {
  it("DELETE /workspace kills a running process tree and removes the workspace, its home and manifests", async () => {
    const marker = `77.${process.pid}`;
    const running = exec("doomed", { command: `echo hi > f; sleep ${marker} & sleep ${marker}; wait` });
    expect(await waitUntil(() => hostPids(`sleep ${marker}`).length === 2)).toBe(true);
    const deleted = await sb.call("DELETE", "/workspace", { workspace: "doomed" });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ killed: 1, removed: true });
    expect((await running).body.killed).toBe(true);
    expect(await waitUntil(() => hostPids(`sleep ${marker}`).length === 0)).toBe(true);
    expect(existsSync(join(sb.root, "doomed"))).toBe(false);
    expect(existsSync(join(sb.root, ".asm-homes", "doomed"))).toBe(false);
  });

  it("a killed server leaves no orphaned process tree", async () => {
    const root = mkdtempSync(join(tmpdir(), "asm-orphan-"));
    const token = "orphan-test-token";
    // One process (no tsx wrapper in between): the one a supervisor would kill.
    const server = spawn(process.execPath, ["--import", "tsx", "sandbox/main.ts"], {
      env: { ...process.env, SANDBOX_TOKEN: token, SANDBOX_PORT: "0", SANDBOX_ROOT: root, SANDBOX_ISOLATION: "bubblewrap" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      server.stdout.on("data", (d) => (out += d));
      expect(await waitUntil(() => /listening on (\S+)/.test(out), 30_000)).toBe(true);
      const url = /listening on (\S+)/.exec(out)![1]!;
      const marker = `88.${process.pid}`;
      void fetch(`${url}/exec`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-sandbox-workspace": "w" },
        body: JSON.stringify({ command: `sleep ${marker} & sleep ${marker}; wait` }),
      }).catch(() => undefined);
      expect(await waitUntil(() => hostPids(`sleep ${marker}`).length === 2, 20_000)).toBe(true);
      server.kill("SIGKILL");
      expect(await waitUntil(() => hostPids(`sleep ${marker}`).length === 0, 20_000)).toBe(true);
    } finally {
      if (server.pid && isAlive(server.pid)) server.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    }
  });
});

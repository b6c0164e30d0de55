import { describe, expect, inject, it } from "vitest";
import type { Run } from "../../src/core/run";
import { api, createSession, json } from "./helpers";
import { runEvents, submitRun, untilRun, waitRun } from "./runs-helpers";

/**
 * The isolation contract, attacked through the real API and sandbox: hostile shell runs try to reach other
 * sessions, the server's secrets, the project checkout and the host, to signal the server, to exhaust it, to leave
 * the network, to make the server run what a workspace configures, and to outlive their session. The host probe
 * (test/support/host-probe.ts) checks on the machine itself what a Worker cannot see.
 */

const probeUrl = inject("hostProbeUrl");
const probePort = inject("hostProbePort");
const sandboxToken = inject("sandboxToken");
const sandboxRoot = inject("sandboxRoot");
const projectRoot = inject("projectRoot");

async function probe<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await fetch(`${probeUrl}${path}`, init)).json()) as T;
}
const hostPids = async (args: string) => (await probe<{ pids: number[] }>(`/pids?args=${encodeURIComponent(args)}`)).pids;
const hostExists = async (path: string) => (await probe<{ exists: boolean }>(`/exists?path=${encodeURIComponent(path)}`)).exists;

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Runs a shell command in a session and returns the finished run with its stdout. */
async function shell(sessionId: string, command: string, extra: Record<string, unknown> = {}): Promise<Run & { stdout: string }> {
  const run = await submitRun(sessionId, { provider: "shell", input: command, ...extra });
  const done = await waitRun(sessionId, run.id, 60_000);
  const stdout = (await runEvents(sessionId, run.id))
    .filter((e) => e.type === "message_streamed" && e.data.stream === "stdout")
    .map((e) => String(e.data.content))
    .join("");
  return { ...done, stdout };
}

describe("a run's filesystem view", () => {
  it("cannot read another session's files by name, by search or by walking up", async () => {
    const secret = `SECRET-${crypto.randomUUID()}`;
    const victim = await createSession();
    expect((await shell(victim.id, `echo ${secret} > marker.txt`)).status).toBe("completed");
    const attacker = await createSession();
    const attempts = [
      `cat ../${victim.id}/marker.txt`,
      `cat /workspace/../${victim.id}/marker.txt`,
      `cat ${sandboxRoot}/${victim.id}/marker.txt`,
      "ls -la .. ../.. /",
      "find / -name marker.txt -not -path '/proc/*' 2>/dev/null",
      `grep -rs ${secret.slice(0, 20)} /workspace /tmp /home /run /var /opt 2>/dev/null`,
    ];
    const { stdout } = await shell(attacker.id, attempts.map((a) => `${a} 2>&1`).join("; "), {
      options: { success_exit_codes: [0, 1, 2] },
    });
    expect(stdout).not.toContain(secret);
    // Walking up lists no other workspace (error messages above repeat the names the attacker tried).
    const listing = await shell(attacker.id, "ls -a .. ../.. / /workspace/..", { options: { success_exit_codes: [0, 1, 2] } });
    expect(listing.stdout).not.toContain(victim.id);
    expect(listing.stdout).not.toContain("ses_");
    // It still sees its own workspace, where it belongs.
    expect((await shell(attacker.id, "pwd")).stdout).toBe("/workspace\n");
  });

  it("cannot read the server's environment through /proc, nor see any of its processes", async () => {
    const s = await createSession();
    const { stdout } = await shell(s.id, "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; echo; ls /proc | grep -cE '^[0-9]+$'", {
      options: { success_exit_codes: [0, 1] },
    });
    expect(stdout).not.toContain(sandboxToken);
    expect(stdout).not.toContain("SANDBOX_TOKEN");
    // Only the jail's own few processes exist in its PID namespace.
    expect(Number(stdout.trim().split("\n").at(-1))).toBeLessThan(10);
  });

  it("cannot read the project checkout (.dev.vars and all) or the home of the user who started the service", async () => {
    const home = inject("hostHome");
    const planted = `${home}/.asm-isolation-probe`;
    await probe(`/plant?path=${encodeURIComponent(planted)}`, { method: "POST", body: "HOME-SECRET" });
    const s = await createSession();
    const { stdout } = await shell(
      s.id,
      `cat ${projectRoot}/package.json ${projectRoot}/.dev.vars ${projectRoot}/.dev.vars.example ${planted} 2>&1; ls ${projectRoot} ${home} 2>&1; echo "home=$HOME"`,
      { options: { success_exit_codes: [0, 1, 2] } },
    );
    expect(stdout).not.toContain("agent-session-manager");
    expect(stdout).not.toContain("API_KEYS");
    expect(stdout).not.toContain("HOME-SECRET");
    expect(stdout).toContain("home=/home/sandbox");
  });

  it("has a private /tmp", async () => {
    const a = await createSession();
    const b = await createSession();
    await shell(a.id, "echo mine > /tmp/left-behind");
    expect((await shell(b.id, "cat /tmp/left-behind 2>&1 || echo absent", { options: { success_exit_codes: [0, 1] } })).stdout).toContain(
      "absent",
    );
  });

  it("cannot signal the sandbox server", async () => {
    const s = await createSession();
    const pid = inject("sandboxServerPid");
    const { stdout } = await shell(s.id, `kill -9 ${pid}; echo "exit=$?"`, { options: { success_exit_codes: [0, 1] } });
    expect(stdout).toMatch(/exit=1/);
    expect((await shell(s.id, "echo still-here")).stdout).toBe("still-here\n");
  });
});

describe("resource bounds through the API", () => {
  it("a fork bomb is bounded and named while another session's run completes normally", async () => {
    const bomb = await createSession();
    const calm = await createSession();
    const bombing = submitRun(bomb.id, {
      provider: "shell",
      input: "b(){ b | b & }; b; sleep 30",
      options: { sandbox_limits: { max_processes: 48 } },
    });
    const ok = await shell(calm.id, "echo calm");
    expect(ok.status).toBe("completed");
    expect(ok.stdout).toBe("calm\n");
    const run = await waitRun(bomb.id, (await bombing).id, 60_000);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "resource_limit_exceeded", details: { limit: "processes" } });
  });

  it("a memory hog ends with resource_limit_exceeded naming memory", async () => {
    const s = await createSession();
    const run = await shell(s.id, "node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'", {
      options: { sandbox_limits: { max_memory_bytes: 134_217_728 } },
    });
    expect(run.error).toMatchObject({ code: "resource_limit_exceeded", details: { limit: "memory" } });
  });
});

describe("network policy through the API", () => {
  const reach = `curl -s -S --max-time 5 --noproxy '' -x "$HTTP_PROXY" http://127.0.0.1:${probePort}/ 2>&1; curl -s -S --max-time 5 --noproxy '*' http://127.0.0.1:${probePort}/ 2>&1; echo`;

  it("none by default: the outside world (a listener on the host) is out of reach", async () => {
    const s = await createSession();
    const { stdout } = await shell(s.id, reach, { options: { success_exit_codes: [0, 5, 7] } });
    expect(stdout).not.toContain("outside-world-answer");
  });

  it("an allow list is enforced: through the proxy for listed hosts only, never around it", async () => {
    const s = await createSession();
    const listed = await shell(s.id, reach, { options: { network: { allow: ["127.0.0.1"] }, success_exit_codes: [0, 7] } });
    // Exactly one answer: the proxied request; the direct one finds no route.
    expect(listed.stdout.split("outside-world-answer").length - 1).toBe(1);
    const unlisted = await shell(s.id, reach, { options: { network: { allow: ["example.com"] }, success_exit_codes: [0, 7] } });
    expect(unlisted.stdout).not.toContain("outside-world-answer");
  });

  it("a policy's network wins over a run asking for more", async () => {
    const s = await createSession();
    const run = await shell(s.id, reach, { options: { network: "all", success_exit_codes: [0, 5, 7] }, policy: { network: "none" } });
    expect(run.stdout).not.toContain("outside-world-answer");
  });

  it("every run_started says how the run is isolated, and GET /v1/providers reports it", async () => {
    const s = await createSession();
    const run = await shell(s.id, "true", { policy: { require_isolation: true } });
    expect(run.status).toBe("completed");
    const started = (await runEvents(s.id, run.id)).find((e) => e.type === "run_started");
    expect(started?.data.isolation).toBe("bubblewrap");
    const providers = await json<{ isolation: { mode: string; distinct_user: boolean; network_enforced: boolean } }>(api("/v1/providers"));
    expect(providers.isolation).toMatchObject({ mode: "bubblewrap", distinct_user: true, network_enforced: true });
  });
});

describe("the server never executes what a workspace configures", () => {
  it("hostile .git/config and hooks run nowhere but the jail during snapshot, diff and rollback", async () => {
    const s = await createSession();
    const marker = `${sandboxRoot}/pwned-${s.id}`;
    const setup = [
      "git init -q repo && cd repo && echo one > a.txt && echo '*.txt filter=evil diff=evil' > .gitattributes",
      `git config core.fsmonitor 'touch ${marker}-fsmonitor; false'`,
      `git config filter.evil.clean 'touch ${marker}-clean; cat'`,
      `git config filter.evil.smudge 'touch ${marker}-smudge; cat'`,
      `git config diff.evil.textconv 'touch ${marker}-textconv; cat'`,
      `printf '#!/bin/sh\\ntouch ${marker}-hook\\n' > .git/hooks/reference-transaction && chmod +x .git/hooks/reference-transaction`,
    ].join(" && ");
    expect((await shell(s.id, setup)).status).toBe("completed");
    const run = await shell(s.id, "echo two >> repo/a.txt; echo new > repo/b.txt; exit 3", {
      workspace: { path: "repo", backend: "git", rollback_on_failure: true },
    });
    expect(run.status).toBe("failed");
    const summary = (run.metadata as { workspace?: { rolled_back?: boolean; diff?: { added: string[] } } }).workspace;
    expect(summary?.rolled_back).toBe(true);
    expect(summary?.diff?.added).toContain("b.txt");
    for (const suffix of ["fsmonitor", "clean", "smudge", "textconv", "hook"]) expect(await hostExists(`${marker}-${suffix}`)).toBe(false);
  });
});

describe("workspace paths", () => {
  it("a workspace.path or cwd outside the workspace is a 400 before anything runs", async () => {
    const s = await createSession();
    for (const body of [
      { provider: "shell", input: "true", workspace: { path: "/etc" } },
      { provider: "shell", input: "true", workspace: { path: "../other" } },
      { provider: "shell", input: "true", options: { cwd: "/tmp" } },
      { provider: "shell", input: { command: "true", cwd: "a/../../.." } },
    ]) {
      const res = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("validation_error");
    }
    const inside = await shell(s.id, "pwd", { options: { cwd: "/workspace/sub/.." } });
    expect(inside.stdout).toBe("/workspace\n");
  });
});

describe("lifecycle", () => {
  it("hard delete kills a running process tree and removes the workspace", async () => {
    const s = await createSession();
    const marker = `91.${Math.floor(Math.random() * 1e6)}`;
    const run = await submitRun(s.id, { provider: "shell", input: `echo kept > f; sleep ${marker} & sleep ${marker}; wait` });
    expect(await until(async () => (await hostPids(`sleep ${marker}`)).length === 2)).toBe(true);
    expect(await hostExists(`${sandboxRoot}/${s.id}/f`)).toBe(true);
    const res = await api(`/v1/sessions/${s.id}?hard=true`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await until(async () => (await hostPids(`sleep ${marker}`)).length === 0)).toBe(true);
    expect(await hostExists(`${sandboxRoot}/${s.id}`)).toBe(false);
    expect((await api(`/v1/sessions/${s.id}/runs/${run.id}`)).status).toBe(404);
  });

  it("soft delete cancels queued runs and refuses new ones", async () => {
    const s = await createSession();
    const first = await submitRun(s.id, { provider: "shell", input: "sleep 1" });
    const queued = [
      await submitRun(s.id, { provider: "shell", input: "echo never > never" }),
      await submitRun(s.id, { provider: "shell", input: "echo never" }),
    ];
    expect((await api(`/v1/sessions/${s.id}`, { method: "DELETE" })).status).toBe(200);
    const res = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { provider: "shell", input: "true" } });
    expect(res.status).toBe(404);
    for (const q of queued) {
      const run = await json<Run>(api(`/v1/sessions/${s.id}/runs/${q.id}`));
      expect(run.status).toBe("cancelled");
    }
    await untilRun(s.id, first.id, (r) => ["completed", "cancelled", "failed"].includes(r.status), 30_000).catch(() => null);
    expect(await hostExists(`${sandboxRoot}/${s.id}/never`)).toBe(false);
  });
});

import { execSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive, startTestSandbox, waitUntil, type TestSandbox } from "./helpers";

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  await sb.stop();
});

async function streamLines(body: unknown): Promise<{ lines: any[]; arrivals: number[] }> {
  const res = await fetch(`${sb.server.url}/exec`, {
    method: "POST",
    headers: { authorization: `Bearer ${sb.token}`, "x-sandbox-workspace": "ws1" },
    body: JSON.stringify({ ...(body as object), stream: true }),
  });
  expect(res.headers.get("content-type")).toContain("application/x-ndjson");
  const lines: any[] = [];
  const arrivals: number[] = [];
  const start = Date.now();
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, nl)));
      arrivals.push(Date.now() - start);
      buffer = buffer.slice(nl + 1);
    }
  }
  return { lines, arrivals };
}

describe("POST /exec", () => {
  it("returns stdout, stderr and the exit code of a shell command", async () => {
    const { status, body } = await sb.call("POST", "/exec", { body: { command: "echo out; echo err >&2; exit 3" } });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      exit_code: 3,
      signal: null,
      stdout: "out\n",
      stderr: "err\n",
      truncated: false,
      timed_out: false,
      killed: false,
    });
    expect(body.id).toMatch(/^exec_/);
  });

  it("runs a program with args without a shell", async () => {
    const { body } = await sb.call("POST", "/exec", { body: { command: "printf", args: ["%s|%s", "a b", "$HOME"] } });
    expect(body.stdout).toBe("a b|$HOME");
  });

  it("reports the signal that ended the process", async () => {
    const { body } = await sb.call("POST", "/exec", { body: { command: "kill -9 $$" } });
    expect(body.exit_code).toBeNull();
    expect(body.signal).toBe("SIGKILL");
  });

  it("honours cwd and env, and lets PATH be prefixed so fake executables come first", async () => {
    await sb.call("PUT", "/files", { body: { path: "sub/bin/git", content: '#!/bin/sh\necho fake-git "$@"\n' } });
    await sb.call("POST", "/exec", { body: { command: "chmod +x sub/bin/git" } });
    // Commands see their workspace at /workspace.
    const { body } = await sb.call("POST", "/exec", {
      body: {
        command: "pwd; echo $GREETING; git status; ls >/dev/null && echo ok",
        cwd: "sub",
        env: { GREETING: "hi", PATH: "/workspace/sub/bin:$PATH" },
      },
    });
    expect(body.stdout.split("\n")).toEqual(["/workspace/sub", "hi", "fake-git status", "ok", ""]);
  });

  it("does not leak the server's environment", async () => {
    process.env.ASM_SECRET_PROBE = "leak";
    const { body } = await sb.call("POST", "/exec", { body: { command: 'echo "[$ASM_SECRET_PROBE]"' } });
    delete process.env.ASM_SECRET_PROBE;
    expect(body.stdout).toBe("[]\n");
  });

  it("kills the process group on timeout and flags it", async () => {
    const started = Date.now();
    const { body } = await sb.call("POST", "/exec", { body: { command: "echo before; sleep 30; echo after", timeout_ms: 300 } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(body.timed_out).toBe(true);
    expect(body.exit_code).toBeNull();
    expect(body.signal).toMatch(/SIGTERM|SIGKILL/);
    expect(body.stdout).toBe("before\n");
  });

  it("drops output beyond max_output_bytes and flags truncation", async () => {
    const { body } = await sb.call("POST", "/exec", { body: { command: "head -c 5000 /dev/zero | tr '\\0' x", max_output_bytes: 100 } });
    expect(body.stdout).toBe("x".repeat(100));
    expect(body.truncated).toBe(true);
    const small = await sb.call("POST", "/exec", { body: { command: "echo hi", max_output_bytes: 100 } });
    expect(small.body.truncated).toBe(false);
  });

  it("streams started, stdout and stderr chunks in order as they happen, then exit", async () => {
    const { lines, arrivals } = await streamLines({ command: "echo one; sleep 0.4; echo two >&2; sleep 0.4; echo three; exit 2" });
    expect(lines.map((l) => l.type)).toEqual(["started", "stdout", "stderr", "stdout", "exit"]);
    expect(lines[0].pid).toBeGreaterThan(0);
    expect(lines.slice(1, 4).map((l) => l.data)).toEqual(["one\n", "two\n", "three\n"]);
    expect(lines[4]).toMatchObject({ exit_code: 2, stdout: "one\nthree\n", stderr: "two\n", id: lines[0].id });
    // Chunks arrive while the command runs, not all at the end.
    expect(arrivals[4]! - arrivals[1]!).toBeGreaterThan(500);
  });

  it("sends heartbeats while a streamed command is silent", async () => {
    const quick = await startTestSandbox(300, 100);
    try {
      const res = await fetch(`${quick.server.url}/exec`, {
        method: "POST",
        headers: { authorization: `Bearer ${quick.token}`, "x-sandbox-workspace": "ws1" },
        body: JSON.stringify({ command: "sleep 0.45; echo done", stream: true }),
      });
      const types = (await res.text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).type);
      expect(types[0]).toBe("started");
      expect(types.filter((t) => t === "heartbeat").length).toBeGreaterThanOrEqual(3);
      expect(types.slice(-2)).toEqual(["stdout", "exit"]);
      expect((await quick.client("ws1").exec({ command: "sleep 0.25; echo ok" })).stdout).toBe("ok\n");
    } finally {
      await quick.stop();
    }
  });

  it("refuses a second exec with an id that is still running", async () => {
    const first = sb.call("POST", "/exec", { body: { command: "sleep 0.5", id: "dup-1" } });
    await new Promise((r) => setTimeout(r, 100));
    const second = await sb.call("POST", "/exec", { body: { command: "true", id: "dup-1" } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("already_exists");
    expect((await first).body.exit_code).toBe(0);
  });
});

describe("POST /exec/:id/kill", () => {
  it("kills the process and the children it spawned", async () => {
    const running = streamLines({ command: "sleep 60 & echo child:$!; wait", id: "killme" });
    // Wait for the child's pid to be printed.
    let childPid = 0;
    let leaderPid = 0;
    await waitUntil(() => {
      const procs = execSync("ps -eo pid,ppid,args").toString();
      const leader = procs.split("\n").find((l) => l.includes("sleep 60 & echo"));
      if (!leader) return false;
      leaderPid = Number(leader.trim().split(/\s+/)[0]);
      const child = procs.split("\n").find((l) => l.trim().split(/\s+/)[1] === String(leaderPid) && l.includes("sleep 60"));
      if (child) childPid = Number(child.trim().split(/\s+/)[0]);
      return childPid > 0;
    });
    expect(isAlive(childPid)).toBe(true);
    const killed = await sb.call("POST", "/exec/killme/kill");
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ id: "killme", exit_code: null, signal: "SIGTERM" });
    expect(killed.body.duration_ms).toBeGreaterThanOrEqual(0);
    const { lines } = await running;
    const exit = lines.at(-1);
    expect(exit).toMatchObject({ type: "exit", killed: true });
    // The jail has its own PID namespace: the pid the command sees is not the host's.
    expect(exit.stdout).toMatch(/^child:\d+\n$/);
    expect(await waitUntil(() => !isAlive(childPid) && !isAlive(leaderPid))).toBe(true);
  });

  it("escalates to SIGKILL when the process ignores SIGTERM", async () => {
    const running = sb.call("POST", "/exec", { body: { command: "trap '' TERM; echo ready; sleep 30", id: "stubborn" } });
    await new Promise((r) => setTimeout(r, 200));
    const killed = await sb.call("POST", "/exec/stubborn/kill");
    expect(killed.body.signal).toBe("SIGKILL");
    expect((await running).body).toMatchObject({ killed: true, stdout: "ready\n" });
  });

  it("answers 404 for an unknown id, and for another workspace's process", async () => {
    const res = await sb.call("POST", "/exec/nope/kill");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    const running = sb.call("POST", "/exec", { body: { command: "sleep 0.5; echo survived", id: "scoped" }, workspace: "wsOwner" });
    await new Promise((r) => setTimeout(r, 100));
    expect((await sb.call("POST", "/exec/scoped/kill", { workspace: "wsOther" })).status).toBe(404);
    expect((await running).body).toMatchObject({ killed: false, stdout: "survived\n" });
  });

  it("reports a program that cannot be spawned like a shell would (127)", async () => {
    const { body } = await sb.call("POST", "/exec", { body: { command: "definitely-not-a-program-xyz", args: [] } });
    expect(body.exit_code).toBe(127);
    expect(body.stderr).toMatch(/ENOENT|No such file/);
  });

  it("kills the process when the client disconnects mid-stream", async () => {
    const marker = `disc-${Date.now()}`;
    const controller = new AbortController();
    const res = await fetch(`${sb.server.url}/exec`, {
      method: "POST",
      headers: { authorization: `Bearer ${sb.token}`, "x-sandbox-workspace": "ws1" },
      body: JSON.stringify({ command: `echo $$; exec sleep 60 # ${marker}`, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes('"stdout"')) text += new TextDecoder().decode((await reader.read()).value);
    const pid = Number(/"started","id":"[^"]+","pid":(\d+)/.exec(text)![1]);
    expect(isAlive(pid)).toBe(true);
    controller.abort();
    expect(await waitUntil(() => !isAlive(pid))).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxClient } from "../../../src/sandbox/client";
import { startFaultProxy } from "../../support/fault-proxy";
import { startTestSandbox, type TestSandbox } from "./helpers";

let sb: TestSandbox;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
beforeAll(async () => {
  sb = await startTestSandbox();
  proxy = await startFaultProxy(sb.server.url);
});
afterAll(async () => {
  await proxy.close();
  await sb.stop();
});

type Line = { type: string; [k: string]: unknown };

/** Opens a streamed exec; `until` says when to stop reading (then the connection is cut). */
async function streamUntil(body: Record<string, unknown>, until: (lines: Line[]) => boolean, workspace = "ws1"): Promise<Line[]> {
  const controller = new AbortController();
  const res = await fetch(`${sb.server.url}/exec`, {
    method: "POST",
    headers: { authorization: `Bearer ${sb.token}`, "x-sandbox-workspace": workspace, "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
    signal: controller.signal,
  });
  const lines: Line[] = [];
  if (res.status !== 200) return [{ ...((await res.json()) as object), type: "error", status: res.status }];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (!until(lines)) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)) as Line);
        buffer = buffer.slice(nl + 1);
      }
    }
  } finally {
    controller.abort();
  }
  return lines;
}

const output = (lines: Line[], which: "stdout" | "stderr") =>
  lines
    .filter((l) => l.type === which)
    .map((l) => l.data)
    .join("");
const exitOf = (lines: Line[]) => lines.find((l) => l.type === "exit");

describe("exec reattach (the link between Worker and sandbox drops)", () => {
  it("a start repeated with the same id attaches to the running exec instead of running it again", async () => {
    const id = `once_${Date.now()}`;
    const body = { id, command: "echo ran >> once.log; echo first; sleep 0.6; echo second" };
    const first = await streamUntil(body, (l) => output(l, "stdout").includes("first"));
    expect(output(first, "stdout")).toBe("first\n");
    // The answer was lost as far as the client knows: it asks again, saying what it has.
    const again = await streamUntil({ ...body, resume: { stdout: "first\n".length, stderr: 0 } }, (l) => Boolean(exitOf(l)));
    expect(output(again, "stdout")).toBe("second\n");
    expect(exitOf(again)).toMatchObject({ id, exit_code: 0, stdout: "first\nsecond\n", killed: false });
    expect((await sb.call("GET", "/files?path=once.log")).body.content).toBe("ran\n");
  });

  it("a resume point of zero replays everything the exec printed so far, then follows it live", async () => {
    const id = `replay_${Date.now()}`;
    const body = { id, command: "echo one; echo err >&2; sleep 0.5; echo two" };
    await streamUntil(body, (l) => output(l, "stdout").includes("one"));
    const again = await streamUntil({ ...body, resume: { stdout: 0, stderr: 0 } }, (l) => Boolean(exitOf(l)));
    expect(output(again, "stdout")).toBe("one\ntwo\n");
    expect(output(again, "stderr")).toBe("err\n");
  });

  it("an exec that already ended answers a retry with its recorded result, without running again", async () => {
    const id = `ended_${Date.now()}`;
    const body = { id, command: "echo ran >> ended.log; echo done" };
    const first = await sb.call("POST", "/exec", { body });
    expect(first.body).toMatchObject({ id, exit_code: 0, stdout: "done\n" });
    const streamed = await streamUntil({ ...body, resume: { stdout: 0, stderr: 0 } }, (l) => Boolean(exitOf(l)));
    expect(exitOf(streamed)).toMatchObject({ id, exit_code: 0, stdout: "done\n", duration_ms: first.body.duration_ms });
    const plain = await sb.call("POST", "/exec", { body });
    expect(plain.body).toEqual(first.body);
    expect((await sb.call("GET", "/files?path=ended.log")).body.content).toBe("ran\n");
  });

  it("the same id for a different request is a 409 already_exists, not an attach", async () => {
    const id = `clash_${Date.now()}`;
    const running = sb.call("POST", "/exec", { body: { id, command: "sleep 0.4; echo a" } });
    await new Promise((r) => setTimeout(r, 100));
    const clash = await sb.call("POST", "/exec", { body: { id, command: "echo b" } });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe("already_exists");
    expect((await running).body.stdout).toBe("a\n");
  });

  it("ids stay scoped to their workspace: another workspace cannot attach to an exec", async () => {
    const id = `scoped_${Date.now()}`;
    const body = { id, command: "echo mine" };
    expect((await sb.call("POST", "/exec", { body, workspace: "wsA" })).body.stdout).toBe("mine\n");
    // The same id and request in another workspace runs there, on its own (it does not see wsA's result).
    const other = await sb.call("POST", "/exec", { body: { ...body, command: "echo theirs" }, workspace: "wsB" });
    expect(other.body.stdout).toBe("theirs\n");
  });

  it("a client that does not come back within the grace period loses its process", async () => {
    const id = `gone_${Date.now()}`;
    const body = { id, command: "echo up; sleep 30" };
    await streamUntil(body, (l) => output(l, "stdout").includes("up"));
    await new Promise((r) => setTimeout(r, 1_800));
    const after = await streamUntil({ ...body, resume: { stdout: 3, stderr: 0 } }, (l) => Boolean(exitOf(l)));
    expect(exitOf(after)).toMatchObject({ killed: true });
  });
});

describe("SandboxClient over a flaky link", () => {
  it("every exec completes exactly once while a third of the requests fail in every way a link drops", async () => {
    const workspace = `flaky_${Date.now()}`;
    await fetch(`${proxy.url}/_fault/${workspace}/flaky?every=3`, { method: "POST" });
    const client = new SandboxClient({
      fetcher: { fetch: (r) => fetch(r) },
      baseUrl: proxy.url,
      token: sb.token,
      workspace,
      retry: { attempts: 8, baseMs: 20 },
    });
    const results = [];
    for (let i = 0; i < 12; i++) {
      const chunks: string[] = [];
      const result = await client.execStream(
        { id: `run_${i}`, command: `echo ${i} >> runs.log; echo start-${i}; sleep 0.2; echo end-${i}` },
        (c) => chunks.push(c.data),
      );
      results.push(result);
      // The chunks the caller saw add up to the output, with nothing repeated across reattaches.
      expect(chunks.join("")).toBe(`start-${i}\nend-${i}\n`);
      expect(result.stdout).toBe(`start-${i}\nend-${i}\n`);
    }
    expect(results.every((r) => r.exit_code === 0)).toBe(true);
    const injected = (await (await fetch(`${proxy.url}/_fault/${workspace}/stats`)).json()) as Record<string, number>;
    expect(injected.refuse).toBeGreaterThan(0);
    expect(injected.lose_answer).toBeGreaterThan(0);
    expect(injected.cut_stream).toBeGreaterThan(0);
    await fetch(`${proxy.url}/_fault/${workspace}/restore`, { method: "POST" });
    const log = await client.readFile("runs.log");
    expect(log.trim().split("\n")).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });

  it("reads, snapshots and diffs retry; a link that stays down fails with dependency_not_available that says so", async () => {
    const workspace = `down_${Date.now()}`;
    const client = new SandboxClient({
      fetcher: { fetch: (r) => fetch(r) },
      baseUrl: proxy.url,
      token: sb.token,
      workspace,
      retry: { attempts: 3, baseMs: 10 },
    });
    await client.writeFile("a.txt", "1\n");
    await fetch(`${proxy.url}/_fault/${workspace}/flaky?every=2`, { method: "POST" });
    const before = await client.snapshot();
    await client.writeFile("a.txt", "2\n");
    const after = await client.snapshot();
    expect((await client.diff(before, after)).modified).toEqual(["a.txt"]);
    expect(await client.readFile("a.txt")).toBe("2\n");
    await fetch(`${proxy.url}/_fault/${workspace}/kill`, { method: "POST" });
    await expect(client.readFile("a.txt")).rejects.toMatchObject({
      code: "dependency_not_available",
      message: expect.stringMatching(/sandbox not reachable.*3 attempts/),
    });
    await expect(client.exec({ id: "never", command: "echo x" })).rejects.toMatchObject({ code: "dependency_not_available" });
    await fetch(`${proxy.url}/_fault/${workspace}/restore`, { method: "POST" });
    expect(await client.readFile("a.txt")).toBe("2\n");
  });

  it("a stream lost for good fails with dependency_not_available naming the exec and the failed reattach", async () => {
    const workspace = `lost_${Date.now()}`;
    const client = new SandboxClient({
      fetcher: { fetch: (r) => fetch(r) },
      baseUrl: proxy.url,
      token: sb.token,
      workspace,
      retry: { attempts: 3, baseMs: 10 },
    });
    const pending = client.execStream({ id: "long", command: "echo up; sleep 30" }, () => undefined);
    await new Promise((r) => setTimeout(r, 600));
    await fetch(`${proxy.url}/_fault/${workspace}/kill`, { method: "POST" });
    await expect(pending).rejects.toMatchObject({
      code: "dependency_not_available",
      message: expect.stringMatching(/connection was lost while exec long was running and could not be reattached/),
      details: expect.objectContaining({ id: "long", reattach: "failed" }),
    });
    await fetch(`${proxy.url}/_fault/${workspace}/restore`, { method: "POST" });
  });
});

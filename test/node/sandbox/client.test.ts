import { execSync } from "node:child_process";
import fc from "fast-check";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../../src/core/errors";
import { SandboxClient } from "../../../src/sandbox/client";
import { NdjsonLineSplitter, forEachNdjsonLine } from "../../../src/sandbox/ndjson";
import { sandboxFor } from "../../../src/sandbox/resolve";
import { GIT_HEAVY_MS, isAlive, startTestSandbox, waitUntil, type TestSandbox } from "./helpers";

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  await sb.stop();
});

describe("NdjsonLineSplitter", () => {
  it("yields the same lines however the bytes are split, multi-byte characters included", () => {
    const line = fc.string({ unit: fc.constantFrom("a", "é", "€", "😀", " ", '"', "{"), maxLength: 20 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const text = lines.map((l) => `${JSON.stringify({ l })}\n`).join("");
        const bytes = new TextEncoder().encode(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const splitter = new NdjsonLineSplitter();
        const out: string[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...splitter.push(bytes.subarray(prev, p)));
          prev = p;
        }
        out.push(...splitter.end());
        expect(out.map((o) => (JSON.parse(o) as { l: string }).l)).toEqual(lines);
      }),
    );
  });

  it("emits a line as soon as its newline arrives and keeps a final unterminated line for end()", () => {
    const s = new NdjsonLineSplitter();
    expect(s.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(":2}")).toEqual([]);
    expect(s.end()).toEqual(['{"b":2}']);
  });

  it("forEachNdjsonLine stops at the abort even when the body never ends and nothing else cancels it", async () => {
    // A body that sends one line and then stays open, like a stream whose fetch no longer follows the abort.
    let cancelledWith: unknown = null;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"n":1}\n'));
      },
      cancel(reason) {
        cancelledWith = reason;
      },
    });
    const controller = new AbortController();
    const lines: string[] = [];
    const reading = forEachNdjsonLine(
      body,
      (l) => {
        lines.push(l);
        controller.abort(new Error("stop"));
      },
      controller.signal,
    );
    await expect(reading).rejects.toThrow("stop");
    expect(lines).toEqual(['{"n":1}']);
    expect(cancelledWith).toBeInstanceOf(Error);
  });
});

describe("SandboxClient against the real server", () => {
  it("execStream calls onChunk as lines arrive and returns the accumulated result", async () => {
    const client = sb.client("c1");
    const seen: { stream: string; data: string; at: number }[] = [];
    const start = Date.now();
    const result = await client.execStream({ command: "echo a; sleep 0.4; echo b >&2; sleep 0.4; printf 'c'" }, (chunk) =>
      seen.push({ ...chunk, at: Date.now() - start }),
    );
    expect(seen.map(({ stream, data }) => [stream, data])).toEqual([
      ["stdout", "a\n"],
      ["stderr", "b\n"],
      ["stdout", "c"],
    ]);
    expect(seen[2]!.at - seen[0]!.at).toBeGreaterThan(500);
    expect(result).toMatchObject({ exit_code: 0, stdout: "a\nc", stderr: "b\n", truncated: false });
  });

  it("streams large output intact", async () => {
    let joined = "";
    const result = await sb.client("c1").execStream({ command: "seq 1 20000" }, (c) => (joined += c.data));
    expect(joined).toBe(result.stdout);
    expect(result.stdout.split("\n").length).toBe(20001);
  });

  it("an exec killed by id reports how it ended; a second kill finds nothing", async () => {
    const client = sb.client("c1");
    // Killed once the command runs (not while the jail is still being set up, when the grace can run out on a
    // busy machine and the report would say SIGKILL).
    let started!: () => void;
    const ready = new Promise<void>((r) => {
      started = r;
    });
    const running = client.execStream({ command: "echo ready; exec sleep 30", id: "client-kill" }, (chunk) => {
      if (chunk.data.includes("ready")) started();
    });
    await ready;
    const killed = await client.killProcess("client-kill");
    expect(killed).toMatchObject({ id: "client-kill", signal: "SIGTERM" });
    expect((await running).killed).toBe(true);
    expect(await client.killProcess("client-kill")).toBeNull();
    await expect(client.kill("client-kill")).resolves.toBeUndefined();
  });

  it("aborting execStream rejects with cancelled and the process is gone", async () => {
    const client = sb.client("c1");
    const controller = new AbortController();
    // The command's own pid is namespaced, so find it on the host by a unique argument.
    const marker = `30.${process.pid}1`;
    const hostPid = () =>
      execSync("ps -eo pid,args")
        .toString()
        .split("\n")
        .find((l) => l.includes(`sleep ${marker}`))
        ?.trim()
        .split(/\s+/)[0];
    let pid = 0;
    const run = client.execStream(
      { command: `echo started; exec sleep ${marker}` },
      () => {
        void waitUntil(() => hostPid() !== undefined).then(() => {
          pid = Number(hostPid());
          controller.abort();
        });
      },
      controller.signal,
    );
    await expect(run).rejects.toMatchObject({ code: "cancelled" });
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntil(() => !isAlive(pid))).toBe(true);
  });

  it("aborting exec kills the process", async () => {
    const client = sb.client("c1");
    const controller = new AbortController();
    const run = client.exec({ command: "sleep 30", id: "abort-exec" }, controller.signal);
    await new Promise((r) => setTimeout(r, 150));
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "cancelled" });
    expect(await client.killProcess("abort-exec")).toBeNull();
  });

  it(
    "files, edit, snapshot, diff and rollback round-trip",
    async () => {
      const client = sb.client("c2");
      await client.writeFile("repo/a.txt", "hello\n");
      await client.exec({ command: "git init -q && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m init", cwd: "repo" });
      const before = await client.snapshot({ path: "repo", backend: "git", label: "before" });
      expect(await client.editFile({ path: "repo/a.txt", old_string: "hello", new_string: "bye" })).toEqual({
        path: "repo/a.txt",
        replacements: 1,
      });
      expect(await client.readFile("repo/a.txt")).toBe("bye\n");
      expect((await client.listFiles("repo")).map((e) => e.path)).toEqual(["repo/.git", "repo/a.txt"]);
      const after = await client.snapshot({ path: "repo", backend: "git" });
      const diff = await client.diff(before, after);
      expect(diff).toMatchObject({ modified: ["a.txt"], insertions: 1, deletions: 1 });
      const rolled = await client.rollback(before);
      expect(rolled.restored_ref).toBe(before.ref);
      expect(await client.readFile("repo/a.txt")).toBe("hello\n");
    },
    GIT_HEAVY_MS,
  );

  it("turns server errors into AppErrors with the server's code", async () => {
    const client = sb.client("c3");
    await expect(client.readFile("../x")).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(client.readFile("missing.txt")).rejects.toBeInstanceOf(AppError);
    await expect(client.readFile("missing.txt")).rejects.toMatchObject({ code: "not_found" });
    const wrongToken = new SandboxClient({ fetcher: { fetch: (r) => fetch(r) }, baseUrl: sb.server.url, token: "bad", workspace: "c3" });
    await expect(wrongToken.exec({ command: "true" })).rejects.toMatchObject({ code: "unauthorized" });
    expect(await wrongToken.health()).toMatchObject({ ok: true, isolation: { mode: "bubblewrap" } });
  });

  it("an unreachable sandbox becomes dependency_not_available", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const client = new SandboxClient({
      fetcher: { fetch: (r) => fetch(r) },
      baseUrl: `http://127.0.0.1:${port}`,
      token: "t",
      workspace: "w",
    });
    const err = await client.exec({ command: "true" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "dependency_not_available" });
    expect((err as AppError).message).toContain(`127.0.0.1:${port}`);
  });

  it("a non-JSON 5xx (container runtime) becomes dependency_not_available", async () => {
    const client = new SandboxClient({
      fetcher: { fetch: async () => new Response("container failed to start", { status: 500 }) },
      baseUrl: "http://sandbox.container",
      token: "t",
      workspace: "w",
    });
    await expect(client.readFile("a")).rejects.toMatchObject({ code: "dependency_not_available" });
  });
});

describe("sandboxFor", () => {
  it("uses SANDBOX_URL with global fetch", async () => {
    const client = sandboxFor({ SANDBOX_URL: sb.server.url, SANDBOX_TOKEN: sb.token }, "r1");
    await client.writeFile("f.txt", "x");
    expect(await client.readFile("f.txt")).toBe("x");
  });

  it("without SANDBOX_URL reaches the container stub named after the workspace", async () => {
    // A stand-in for the Durable Object namespace (Cloudflare's, not ours): forwards to the real server.
    const names: string[] = [];
    const namespace = {
      idFromName: (name: string) => {
        names.push(name);
        return { name };
      },
      get: () => ({
        fetch: (request: Request) => {
          const url = new URL(request.url);
          return fetch(new Request(`${sb.server.url}${url.pathname}${url.search}`, request));
        },
      }),
    } as unknown as DurableObjectNamespace;
    const client = sandboxFor({ SANDBOX: namespace, SANDBOX_TOKEN: sb.token }, "ses_abc");
    await client.writeFile("f.txt", "via container");
    expect(await sb.client("ses_abc").readFile("f.txt")).toBe("via container");
    expect(names).toEqual(["ses_abc"]);
  });

  it("throws dependency_not_available when nothing is configured", () => {
    expect(() => sandboxFor({}, "r1")).toThrow(expect.objectContaining({ code: "dependency_not_available" }));
    expect(() => sandboxFor({ SANDBOX_URL: sb.server.url }, "r1")).toThrow(expect.objectContaining({ code: "dependency_not_available" }));
  });
});

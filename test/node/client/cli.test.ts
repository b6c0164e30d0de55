import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { runCli } from "../../../client/cli/main";
import { resolveConfig, ConfigError } from "../../../client/cli/config";
import { splitGlobals } from "../../../client/cli/argv";
import { table } from "../../../client/cli/table";
import { failureLabel } from "../../../client/render/fields";
import type { CliIo } from "../../../client/cli/io";
import { EventSchema } from "../../../src/core/event";
import { startLogServer, type LogServer } from "./log-server";

const SESSION = "ses_4f1c2b7a9d0e4c6b8a1f2e3d4c5b6a70";
const fixture = z.array(EventSchema).parse(JSON.parse(readFileSync(new URL("./fixtures/session-events.json", import.meta.url), "utf8")));

describe("config precedence", () => {
  const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;
  const home = "/home/u";
  const fileAt = `${home}/.config/asm/config.json`;

  it("flags beat env, env beats the config file; nothing configured is an error that says how to configure", () => {
    const file = JSON.stringify({ url: "https://file.example", api_key: "k_file" });
    const env = { ASM_URL: "https://env.example", ASM_API_KEY: "k_env" };
    const flags = { url: "https://flag.example", apiKey: "k_flag" };
    expect(resolveConfig({ flags, env, readFile: files({ [fileAt]: file }), homeDir: home })).toMatchObject({
      url: "https://flag.example",
      apiKey: "k_flag",
    });
    expect(resolveConfig({ flags: {}, env, readFile: files({ [fileAt]: file }), homeDir: home })).toMatchObject({
      url: "https://env.example",
      apiKey: "k_env",
      sources: { url: "env" },
    });
    expect(resolveConfig({ flags: {}, env: {}, readFile: files({ [fileAt]: file }), homeDir: home })).toMatchObject({
      url: "https://file.example",
      apiKey: "k_file",
    });
    expect(() => resolveConfig({ flags: {}, env: {}, readFile: files({}), homeDir: home })).toThrow(
      /no server configured: pass --url URL, set ASM_URL, or write .* to \/home\/u\/.config\/asm\/config.json/,
    );
  });

  it("mixes sources per key, and ASM_CONFIG names another file", () => {
    const cfg = resolveConfig({
      flags: { url: "https://flag.example" },
      env: { ASM_CONFIG: "/etc/asm.json" },
      readFile: files({
        "/etc/asm.json": JSON.stringify({ url: "https://ignored.example", apiKey: "k_alt" }),
        [fileAt]: JSON.stringify({ api_key: "k_home" }),
      }),
      homeDir: home,
    });
    expect(cfg).toMatchObject({ url: "https://flag.example", apiKey: "k_alt", sources: { url: "flag", apiKey: "file /etc/asm.json" } });
  });

  it("rejects a broken config file with its path", () => {
    expect(() => resolveConfig({ flags: {}, env: {}, readFile: files({ [fileAt]: "{nope" }), homeDir: home })).toThrow(ConfigError);
    expect(() =>
      resolveConfig({ flags: {}, env: {}, readFile: files({ [fileAt]: JSON.stringify({ url: "not a url" }) }), homeDir: home }),
    ).toThrow(/config\.json: url/);
  });
});

function memoryIo(env: Record<string, string>, tty = false): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (t: string) => (out += t), isTTY: tty },
    stderr: { write: (t: string) => (err += t) },
    env,
    homeDir: "/nonexistent",
    readFile: () => null,
    readStdin: async () => "",
    ask: null,
    out: () => out,
    err: () => err,
  };
}

let server: LogServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serverWithFixture(): Promise<LogServer> {
  const s = await startLogServer(SESSION, 1);
  s.append(fixture.map((e) => ({ type: e.type, run_id: e.run_id, data: e.data })));
  return s;
}

describe("asm CLI", () => {
  it("tail --no-follow renders the log and exits 0 (no colour without a TTY)", async () => {
    server = await serverWithFixture();
    const io = memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey });
    expect(await runCli(["tail", SESSION, "--no-follow", "--format", "compact"], io)).toBe(0);
    expect(io.out()).toBe(readFileSync(new URL("./__snapshots__/compact.txt", import.meta.url), "utf8"));
    expect(io.out()).not.toContain("\x1b[");
  });

  it("tail --run follows one run live and stops at its end", async () => {
    server = await startLogServer(SESSION, 1);
    const io = memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey });
    const runId = fixture[4]!.run_id!;
    const done = runCli(["tail", SESSION, "--run", runId, "--format", "studio", "--transport", "poll"], io);
    for (const e of fixture) {
      server.append([{ type: e.type, run_id: e.run_id, data: e.data }]);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await done).toBe(0);
    expect(io.out()).toContain("✓ Done · end_turn");
    expect(io.out()).not.toContain("ls missing-dir");
  });

  it("tail --format jsonl --jsonl-mode compact from a sequence", async () => {
    server = await serverWithFixture();
    const io = memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey });
    expect(await runCli(["tail", SESSION, "--no-follow", "--from", "26", "--format", "jsonl", "--jsonl-mode", "compact"], io)).toBe(0);
    expect(
      io
        .out()
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as { e: { t: string } }).e.t),
    ).toEqual(["rs", "ts", "tc", "er", "rf", "rs", "ms", "rx"]);
  });

  it("tail asks inline for a pending approval and sends the decision; decided ones are not asked again", async () => {
    server = await serverWithFixture();
    const runId = fixture[4]!.run_id!;
    server.runs.set(runId, { status: "awaiting_approval", decisions: [] });
    const questions: string[] = [];
    const io = {
      ...memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey }),
      ask: async (q: string) => (questions.push(q), "not today"),
    };
    expect(await runCli(["tail", SESSION, "--run", runId, "--format", "studio"], io)).toBe(0);
    expect(questions).toEqual(["Allow bash (toolu_04)? [y]es / [n]o / or type a reason to deny: "]);
    expect(server.runs.get(runId)!.decisions).toEqual([{ tool_call_id: "toolu_04", decision: "deny", reason: "not today" }]);

    const again = { ...memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey }), ask: async (q: string) => (questions.push(q), "y") };
    expect(await runCli(["tail", SESSION, "--run", runId, "--format", "compact"], again)).toBe(0);
    expect(questions).toHaveLength(1);
  });

  for (const [ending, code] of [
    ["run_completed", 0],
    ["run_failed", 3],
  ] as const) {
    it(`run --wait submits, tails only the new run and exits ${code} on ${ending}`, async () => {
      server = await serverWithFixture();
      const io = {
        ...memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey }),
        readFile: (p: string) => (p === "policy.json" ? '[{"name":"no-rm"}]' : null),
      };
      const done = runCli(
        [
          "run",
          SESSION,
          "--provider",
          "shell",
          "--policy",
          "policy.json",
          "--idempotency-key",
          "k1",
          "--wait",
          "--format",
          "compact",
          "--",
          "ls",
          "-la",
        ],
        io,
      );
      while (server.submissions.length === 0) await new Promise((r) => setTimeout(r, 5));
      const runId = server.submissions[0]!.runId;
      expect(server.submissions[0]).toEqual({
        body: { provider: "shell", input: { command: "ls", args: ["-la"] }, policies: [{ name: "no-rm" }] },
        idempotencyKey: "k1",
        runId,
      });
      server.append([
        { type: "run_started", run_id: runId, data: { provider: "shell", model: null } },
        { type: "tool_call_started", run_id: runId, data: { tool_name: "bash", tool_call_id: "t1", tool_input: { command: "ls" } } },
        {
          type: ending,
          run_id: runId,
          data: ending === "run_completed" ? { stop_reason: "exit_code_0" } : { error_code: "provider_error", error_message: "boom" },
        },
        { type: "session_completed", data: {} },
      ]);
      expect(await done).toBe(code);
      expect(io.out()).toBe(ending === "run_completed" ? "r+ t+bash r-:exit_code_0\n" : "r+ t+bash !(provider_error: boom) r-:failed\n");
    });
  }

  it("events append sends events and prints their sequences", async () => {
    server = await startLogServer(SESSION, 1);
    const io = memoryIo({ ASM_API_KEY: server.apiKey });
    const code = await runCli(
      ["events", "append", SESSION, "--url", server.url, "--type", "message_received", "--data", '{"role":"assistant","content":"hi"}'],
      io,
    );
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^1 message_received evt_\w+\n$/);
    expect(server.events[0]!.data).toEqual({ role: "assistant", content: "hi" });
  });

  it("exit codes: 2 for usage errors, 1 for API errors with the server's code", async () => {
    server = await startLogServer(SESSION, 1);
    const bad = memoryIo({ ASM_URL: server.url, ASM_API_KEY: "wrong" });
    expect(await runCli(["tail", SESSION, "--no-follow"], bad)).toBe(1);
    expect(bad.err()).toContain("asm: unauthorized (HTTP 401): Missing or invalid API key (set --api-key or ASM_API_KEY)");
    const usage = memoryIo({ ASM_URL: server.url });
    expect(await runCli(["tail", SESSION, "--format", "fancy"], usage)).toBe(2);
    expect(usage.err()).toContain("--format must be one of compact, verbose, studio, jsonl");
    expect(await runCli(["tail", SESSION, "--bogus"], usage)).toBe(2);
    expect(await runCli(["frobnicate"], usage)).toBe(2);
    expect(await runCli(["run", SESSION, "--provider", "shell"], usage)).toBe(2);
  });

  it("global flags may come before the command; jsonl keeps the API's field names", async () => {
    server = await serverWithFixture();
    const io = memoryIo({});
    expect(await runCli(["--url", server.url, "--api-key", server.apiKey, "tail", SESSION, "--no-follow", "--format", "jsonl"], io)).toBe(
      0,
    );
    const first = JSON.parse(io.out().split("\n")[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ sequence: 1, type: "session_created", session_id: SESSION });
    expect(first).toHaveProperty("timestamp");
    expect(first).not.toHaveProperty("seq");
    expect(first).not.toHaveProperty("ts");
  });

  it("--version, the compact legend, and no silent default server", async () => {
    const io = memoryIo({});
    expect(await runCli(["--version"], io)).toBe(0);
    expect(io.out()).toMatch(/^asm \d+\.\d+\.\d+\n$/);
    const legend = memoryIo({});
    expect(await runCli(["help", "compact"], legend)).toBe(0);
    expect(legend.out()).toContain("t-Name!  tool call failed");
    const none = memoryIo({});
    expect(await runCli(["sessions", "list"], none)).toBe(2);
    expect(none.err()).toContain("no server configured: pass --url URL, set ASM_URL");
  });

  it("a network error names the URL and the cause", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const io = memoryIo({ ASM_URL: `http://127.0.0.1:${port}`, ASM_API_KEY: "k" });
    expect(await runCli(["sessions", "list"], io)).toBe(1);
    expect(io.err()).toMatch(new RegExp(`^asm: cannot reach http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it("run --wait without a terminal stops at an approval with the tool call id and the command to decide (exit 4)", async () => {
    server = await serverWithFixture();
    const io = memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey });
    const done = runCli(["run", SESSION, "--provider", "shell", "--wait", "--format", "compact", "--", "rm", "-rf", "build"], io);
    while (server.submissions.length === 0) await new Promise((r) => setTimeout(r, 5));
    const runId = server.submissions[0]!.runId;
    server.runs.set(runId, { status: "awaiting_approval", decisions: [] });
    server.append([
      { type: "run_started", run_id: runId, data: { provider: "shell" } },
      {
        type: "tool_approval_requested",
        run_id: runId,
        data: { tool_name: "bash", tool_call_id: "toolu_99", tool_input: { command: "rm -rf build" } },
      },
    ]);
    expect(await done).toBe(4);
    expect(io.err()).toContain("waits for approval of bash (tool call toolu_99)");
    expect(io.err()).toContain(`approve: asm approve ${SESSION} ${runId} toolu_99`);

    const approve = memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey });
    expect(await runCli(["approve", SESSION, runId, "toolu_99"], approve)).toBe(0);
    expect(approve.out()).toBe(`Approved tool call toolu_99: it runs now; run ${runId} continues.\n`);
    const deny = memoryIo({ ASM_URL: server.url, ASM_API_KEY: server.apiKey });
    expect(await runCli(["approvals", "deny", SESSION, runId, "toolu_99", "--reason", "not now"], deny)).toBe(0);
    expect(deny.out()).toContain("Denied tool call toolu_99 (reason: not now)");
    expect(server.runs.get(runId)!.decisions.at(-1)).toEqual({ tool_call_id: "toolu_99", decision: "deny", reason: "not now" });
  });
});

describe("asm export and import", () => {
  const IMPORTED = "ses_0123456789abcdef0123456789abcdef";
  const exportBody = ['{"kind":"header"}', '{"kind":"session"}', '{"kind":"end","run_count":0,"event_count":0}'].map((l) => `${l}\n`);
  /** A fake server: the export arrives in several chunks; the import answers with an ImportResult. */
  function fakeFetch(seen: { method: string; url: string; type: string | null; body: string | null }[]): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      seen.push({
        method: init?.method ?? "GET",
        url: String(input),
        type: headers.get("content-type"),
        body: typeof init?.body === "string" ? init.body : null,
      });
      if (String(input).endsWith("/export")) {
        const chunks = String(input).includes("/ses_cut/") ? exportBody.slice(0, 2) : [...exportBody];
        return new Response(
          new ReadableStream<Uint8Array>({
            pull(c) {
              const next = chunks.shift();
              if (next) c.enqueue(new TextEncoder().encode(next));
              else c.close();
            },
          }),
          { headers: { "content-type": "application/x-ndjson" } },
        );
      }
      const session = {
        id: IMPORTED,
        tenant_id: "dev",
        agent_id: "a",
        status: "active",
        metadata: {},
        context: {},
        tags: [],
        parent_session_id: null,
        max_concurrent_runs: 1,
        max_queued_runs: 100,
        created_at: "2026-01-01T00:00:00.000Z",
        updated_at: "2026-01-01T00:00:00.000Z",
        deleted_at: null,
        last_sequence: 3,
        token_usage: { input: 0, output: 0, cache_read: 0, cache_creation: 0, total: 0 },
        cost_usd: 0,
      };
      if (String(input).endsWith("/import")) {
        return Response.json(
          { session, imported_from: SESSION, run_ids: {}, run_count: 0, event_count: 0, latest_sequence: 3 },
          { status: 201 },
        );
      }
      return Response.json({ error: { code: "not_found", message: "no", details: {} } }, { status: 404 });
    }) as typeof fetch;
  }

  it("export writes the NDJSON as it streams; import sends it back as NDJSON and prints the new id (--json: the API's shape)", async () => {
    const seen: Parameters<typeof fakeFetch>[0] = [];
    const io = { ...memoryIo({ ASM_URL: "http://asm.invalid", ASM_API_KEY: "k" }), fetch: fakeFetch(seen) };
    expect(await runCli(["export", SESSION], io)).toBe(0);
    expect(io.out()).toBe(exportBody.join(""));
    const file = {
      ...memoryIo({ ASM_URL: "http://asm.invalid", ASM_API_KEY: "k" }),
      fetch: fakeFetch(seen),
      readFile: (p: string) => (p === "s.ndjson" ? exportBody.join("") : null),
    };
    expect(await runCli(["import", "s.ndjson"], file)).toBe(0);
    expect(file.out()).toBe(`${IMPORTED}\n`);
    expect(seen.at(-1)).toMatchObject({ method: "POST", type: "application/x-ndjson", body: exportBody.join("") });
    const asJson = {
      ...memoryIo({ ASM_URL: "http://asm.invalid", ASM_API_KEY: "k" }),
      fetch: fakeFetch(seen),
      readFile: (p: string) => (p === "s.ndjson" ? exportBody.join("") : null),
    };
    expect(await runCli(["import", "s.ndjson", "--json"], asJson)).toBe(0);
    expect(JSON.parse(asJson.out())).toMatchObject({ session: { id: IMPORTED }, imported_from: SESSION });
    const missing = { ...memoryIo({ ASM_URL: "http://asm.invalid", ASM_API_KEY: "k" }), fetch: fakeFetch(seen) };
    expect(await runCli(["import", "nope.ndjson"], missing)).toBe(2);
    expect(missing.err()).toContain("cannot read nope.ndjson");
    expect(await runCli(["export"], missing)).toBe(2);
    // A stream that stops before its end line is an error, not a silently short file.
    const cut = { ...memoryIo({ ASM_URL: "http://asm.invalid", ASM_API_KEY: "k" }), fetch: fakeFetch(seen) };
    expect(await runCli(["export", "ses_cut"], cut)).toBe(1);
    expect(cut.err()).toContain("cut off before its end line");
  });
});

describe("asm status", () => {
  it("shows each governed run's counters beside its limits and what is left", async () => {
    const policy = {
      policy: "gate",
      action: "request_approval",
      limits: { max_tool_calls: 5, max_total_tokens: 1000 },
      violations: [],
      warnings: [],
      counters: {
        tool_calls: 2,
        input_tokens: 100,
        output_tokens: 50,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        total_tokens: 150,
        elapsed_ms: 1200,
        cost_usd: 0,
        cost_supported: true,
        model: null,
      },
    };
    const status = {
      session_id: SESSION,
      status: "active",
      accepting_runs: true,
      draining: false,
      in_flight: [{ id: "run_1", status: "running", provider: "shell", started_at: "2026-01-01T00:00:00.000Z", policy }],
      queued: [],
      max_concurrent_runs: 1,
      free_slots: 0,
      max_queued_runs: 100,
      latest_sequence: 9,
      flushed_sequence: 9,
      subscribers: { websockets: 0, sse: 0, long_polls: 0 },
      pending_approvals: [],
      isolation: null,
    };
    const io = {
      ...memoryIo({ ASM_URL: "http://asm.invalid", ASM_API_KEY: "k" }),
      fetch: (async () => Response.json(status)) as unknown as typeof fetch,
    };
    expect(await runCli(["status", SESSION], io)).toBe(0);
    const lines = io.out().split("\n");
    expect(lines.find((l) => l.startsWith("RUN ") && l.includes("COUNTER"))).toMatch(/^RUN\s+POLICY\s+COUNTER\s+USED\s+LIMIT\s+LEFT$/);
    expect(lines.find((l) => l.includes("tool calls"))).toMatch(/^run_1\s+gate\s+tool calls\s+2\s+5\s+3$/);
    expect(lines.find((l) => l.includes("tokens") && !l.includes("tool"))).toMatch(/^run_1\s+gate\s+tokens\s+150\s+1000\s+850$/);
    expect(io.out()).not.toContain("duration ms");
  });
});

describe("CLI building blocks", () => {
  it("moves global flags after the command, before any --", () => {
    expect(splitGlobals(["--url", "U", "--json", "run", "s", "--", "echo", "--json"])).toEqual({
      name: "run",
      rest: ["s", "--url", "U", "--json", "--", "echo", "--json"],
    });
    expect(splitGlobals(["--help"])).toEqual({ name: "--help", rest: [] });
  });

  it("tables have a header and aligned columns", () => {
    expect(
      table(
        ["ID", "STATUS"],
        [
          ["ses_1", "active"],
          ["ses_22", "ended"],
        ],
      ),
    ).toBe("ID      STATUS\nses_1   active\nses_22  ended\n");
  });

  it("a failed shell command is labelled command_failed with its exit code, not provider_error", () => {
    expect(
      failureLabel({ error_code: "provider_error", details: { error_code: "command_failed", provider_error: { exit_code: 4 } } }),
    ).toBe("command_failed (exit 4)");
    expect(
      failureLabel({ error_code: "provider_error", provider_error: { exit_code: 2, details: { error_code: "command_failed" } } }),
    ).toBe("command_failed (exit 2)");
    expect(failureLabel({ error_code: "provider_error" })).toBe("provider_error");
    expect(failureLabel({ error_code: "command_timeout" })).toBe("command_timeout");
  });
});

describe("asm fork and asm schedules", () => {
  const cli = (s: LogServer) => memoryIo({ ASM_URL: s.url, ASM_API_KEY: s.apiKey });

  it("fork --at N prints the new session id (--json: the API's ForkResult); --at is required and within the log", async () => {
    server = await serverWithFixture();
    const io = cli(server);
    expect(await runCli(["fork", SESSION, "--at", "5"], io)).toBe(0);
    expect(io.out()).toBe("ses_f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0\n");
    expect(io.err()).toMatch(new RegExp(`forked ${SESSION} at #5: \\d+ runs, 5 events, workspace none`));
    expect(server.forks).toEqual([5]);

    const asJson = cli(server);
    expect(await runCli(["fork", SESSION, "--at", "3", "--json"], asJson)).toBe(0);
    expect(JSON.parse(asJson.out())).toMatchObject({
      session: { id: "ses_f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0", parent_session_id: SESSION },
      forked_from: { session_id: SESSION, at_sequence: 3 },
      event_count: 3,
    });

    const missing = cli(server);
    expect(await runCli(["fork", SESSION], missing)).toBe(2);
    expect(missing.err()).toContain("--at N is required");
    const beyond = cli(server);
    expect(await runCli(["fork", SESSION, "--at", "100000"], beyond)).toBe(1);
    expect(beyond.err()).toContain("sequence_out_of_range (HTTP 400)");
    expect(beyond.err()).toContain('"latest_sequence"');
    expect(server.forks).toEqual([5, 3]);
  });

  it("schedules create sends exactly one timing and the run body asm run would send; list shows an aligned table; delete", async () => {
    server = await startLogServer(SESSION, 1);
    const created = cli(server);
    expect(
      await runCli(["schedules", "create", SESSION, "--cron", "*/15 * * * *", "--provider", "shell", "--", "make", "test"], created),
    ).toBe(0);
    const [first] = [...server.schedules.values()];
    expect(first).toMatchObject({
      kind: "cron",
      cron: "*/15 * * * *",
      run: { provider: "shell", input: { command: "make", args: ["test"] } },
    });
    expect(created.out()).toBe(`${first!.id} cron */15 * * * * · next run ${first!.next_run_at}\n`);

    const every = cli(server);
    expect(
      await runCli(
        [
          "schedules",
          "create",
          SESSION,
          "--every-ms",
          "3600000",
          "--provider",
          "anthropic",
          "--model",
          "m1",
          "--json",
          "--",
          "summarise",
          "today",
        ],
        every,
      ),
    ).toBe(0);
    const second = JSON.parse(every.out()) as Record<string, unknown>;
    expect(second).toMatchObject({
      kind: "every",
      every_ms: 3_600_000,
      cron: null,
      run: { provider: "anthropic", input: { prompt: "summarise today" }, options: { model: "m1" } },
    });

    const list = cli(server);
    expect(await runCli(["schedules", "list", SESSION], list)).toBe(0);
    const lines = list.out().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+WHEN\s+NEXT RUN\s+FIRED\s+SKIPPED\s+LAST RUN$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^${first!.id}\\s+active\\s+cron \\*/15 \\* \\* \\* \\*\\s+\\S+\\s+0\\s+0\\s+—$`));
    expect(lines[2]).toMatch(new RegExp(`^${String(second.id)}\\s+active\\s+every 3600000 ms\\s`));
    // Columns line up: every row's STATUS starts where the header's does.
    const statusAt = lines[0]!.indexOf("STATUS");
    for (const l of lines.slice(1)) expect(l.slice(statusAt, statusAt + 6)).toBe("active");
    const listJson = cli(server);
    expect(await runCli(["schedules", "list", SESSION, "--json"], listJson)).toBe(0);
    expect((JSON.parse(listJson.out()) as { items: unknown[] }).items).toHaveLength(2);

    const deleted = cli(server);
    expect(await runCli(["schedules", "delete", SESSION, first!.id], deleted)).toBe(0);
    expect(deleted.out()).toBe(`deleted ${first!.id} (fired 0 times; runs it submitted are left alone)\n`);
    expect([...server.schedules.keys()]).toEqual([second.id]);
    const gone = cli(server);
    expect(await runCli(["schedules", "delete", SESSION, first!.id], gone)).toBe(1);
    expect(gone.err()).toContain("not_found (HTTP 404)");
  });

  it("schedules create refuses zero or two timings, or a missing input, before sending anything", async () => {
    server = await startLogServer(SESSION, 1);
    for (const args of [
      ["--provider", "shell", "--", "ls"],
      ["--cron", "@daily", "--every-ms", "60000", "--provider", "shell", "--", "ls"],
      ["--at", "2030-01-01T00:00:00Z", "--provider", "shell"],
    ]) {
      const io = cli(server);
      expect(await runCli(["schedules", "create", SESSION, ...args], io)).toBe(2);
    }
    expect(server.schedules.size).toBe(0);
    const empty = cli(server);
    expect(await runCli(["schedules", "list", SESSION], empty)).toBe(0);
    expect(empty.out()).toBe("No schedules.\n");
  });

  it("help lists fork and schedules", async () => {
    const io = memoryIo({});
    expect(await runCli(["help"], io)).toBe(0);
    expect(io.out()).toContain("asm fork <session> --at N");
    expect(io.out()).toContain("asm schedules create <session> --cron");
    expect(io.out()).toContain("asm schedules delete <session> <schedule>");
  });
});

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderFailure } from "../../../../src/providers/errors";
import { createCliAdapter } from "../../../../src/providers/cli/index";
import type { AdapterEvent } from "../../../../src/core/adapter-event";
import { hostPidsWithEnv, isAlive, startTestSandbox, waitUntil, type TestSandbox } from "../../sandbox/helpers";
import { FAKE_BIN, context, failureOf, lastOfType, ofType, types } from "./helpers";

/** The fake CLIs first on PATH of the sandboxed process; `$PATH` is expanded by the sandbox server. */
const PATH = `${FAKE_BIN}:$PATH`;
const defaults = { timeoutMs: 20_000, maxOutputBytes: 8 * 1024 * 1024 };

let sb: TestSandbox;
beforeAll(async () => {
  // The fake CLIs are the one host folder the jail may read.
  sb = await startTestSandbox(300, undefined, undefined, [dirname(FAKE_BIN)]);
});
afterAll(async () => {
  await sb.stop();
});

/** A file the jailed CLI writes in its workspace: the path it is given, and where the test reads it on the host. */
function workspaceFile(name: string): { jail: string; host: string } {
  const file = `.asm-cli-${name}-${crypto.randomUUID().slice(0, 8)}`;
  return { jail: `/workspace/${file}`, host: join(sb.root, "cli-e2e", file) };
}

async function run(
  provider: "claude-code" | "codex" | "amp",
  scenario: string,
  extra: Parameters<typeof context>[1] = {},
  signal = new AbortController().signal,
) {
  const events: AdapterEvent[] = [];
  const argvFile = workspaceFile("argv");
  const ctx = context(sb.client("cli-e2e"), {
    ...extra,
    options: { ...extra.options, env: { PATH, FAKE_CLI_SCENARIO: scenario, FAKE_CLI_ARGV_FILE: argvFile.jail, ...extra.options?.env } },
  });
  const adapter = createCliAdapter(provider, defaults);
  const promise = adapter.execute(
    ctx,
    async (e) => {
      events.push(e);
    },
    signal,
  );
  const argv = () => JSON.parse(readFileSync(argvFile.host, "utf8")) as string[];
  return { promise, events, argv };
}

describe("CLI adapters end to end through the sandbox server", () => {
  it("claude-code: a full run returns the answer, usage, cost and session for native continuation", async () => {
    const r = await run("claude-code", "success", { options: { model: "claude-sonnet-4-5", permission_mode: "accept_edits" } });
    const result = await r.promise;
    expect(result).toMatchObject({
      output: { content: "Fixed the off-by-one in add(); all 12 tests pass now.", stream: { malformed_lines: 0, unmapped_lines: 0 } },
      stop_reason: "end_turn",
      turn_count: 4,
      model: "claude-sonnet-4-5-20250929",
      reported_cost_usd: 0.0421765,
      token_usage: { input: 18, output: 412, cache_read: 55730, cache_creation: 2275, total: 58435 },
      provider_session: { provider_session_id: "7d1c5e0a-3f2b-4e8d-9a61-2c4b8f0e5d93", model: "claude-sonnet-4-5-20250929" },
    });
    expect(types(r.events)[0]).toBe("run_started");
    expect(ofType(r.events, "tool_call_started").map((e) => e.data!.tool_name)).toEqual(["bash", "edit_file", "mcp__github__create_issue"]);
    expect(r.argv()).toEqual(expect.arrayContaining(["--model", "claude-sonnet-4-5", "--permission-mode", "acceptEdits"]));
    expect(r.argv().slice(-2)).toEqual(["--", "hi"]);
  });

  it("claude-code: a native handle resumes the CLI session", async () => {
    const r = await run("claude-code", "success", { native: "prev-session", input: { prompt: "and now the docs" } });
    await r.promise;
    expect(r.argv()).toEqual(expect.arrayContaining(["--resume", "prev-session"]));
    expect(r.argv().at(-1)).toBe("and now the docs");
  });

  it("codex: a full run, with the thread id for `exec resume`", async () => {
    const r = await run("codex", "success", { options: { model: "gpt-5-codex", permission_mode: "full_auto" }, native: "0199-prev" });
    const result = await r.promise;
    expect(result).toMatchObject({
      output: { content: "Fixed the off-by-one in add(); all 12 tests pass." },
      turn_count: 1,
      model: "gpt-5-codex",
      token_usage: { input: 5641, output: 1250, cache_read: 19072, total: 25963 },
      reported_cost_usd: null,
      provider_session: { provider_session_id: "0199a7c2-5e1b-7d40-9c3f-8a2b6e4d1f07" },
    });
    // Reasoning and todo items were kept as unmapped lines on events, so none is left over for the output.
    expect(result.output.stream).toMatchObject({ unmapped_lines: 4 });
    expect(r.argv()).toEqual(expect.arrayContaining(["exec", "--json", "--full-auto", "resume", "0199-prev"]));
  });

  it("amp: a full run with the thread id", async () => {
    const r = await run("amp", "success", { options: { permission_mode: "dangerously_skip_permissions" } });
    const result = await r.promise;
    expect(result).toMatchObject({
      output: { content: "Rewrote add(); the test passes." },
      turn_count: 3,
      provider_session: { provider_session_id: "T-019c479a-39cc-72af-a2d1-65a965c076ec" },
    });
    expect(r.argv()).toEqual(["--execute", "hi", "--stream-json", "--dangerously-allow-all"]);
  });

  it("cancel: aborting a long stream rejects with cancelled and the CLI process is gone", { timeout: 30_000 }, async () => {
    // Its pid inside the jail means nothing outside: find it on the host by a unique variable of its environment.
    const marker = `FAKE_CLI_PID_FILE=/workspace/.pid-${crypto.randomUUID()}`;
    const controller = new AbortController();
    const r = await run("claude-code", "slow", { options: { env: { FAKE_CLI_PID_FILE: marker.split("=")[1]! } } }, controller.signal);
    expect(await waitUntil(() => ofType(r.events, "message_streamed").length >= 2, 20_000)).toBe(true);
    const [pid] = hostPidsWithEnv(marker);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid!)).toBe(true);
    controller.abort();
    const err = await failureOf(r.promise);
    expect(err.code).toBe("cancelled");
    expect(await waitUntil(() => !isAlive(pid!), 20_000)).toBe(true);
    expect(ofType(r.events, "message_streamed").length).toBeLessThan(50);
  });

  it("non-zero exit: provider_error with exit code and stderr, after an error_occurred event", async () => {
    const r = await run("claude-code", "exit");
    const err = await failureOf(r.promise);
    expect(err).toBeInstanceOf(ProviderFailure);
    const pe = (err as ProviderFailure).providerError;
    expect(pe).toMatchObject({ provider: "claude-code", kind: "process_exit", exit_code: 3, truncated: false });
    expect(pe.stderr).toContain("Invalid configuration: settings.json line 3");
    expect(err.code).toBe("provider_error");
    expect(lastOfType(r.events, "error_occurred")!.data).toMatchObject({ error_code: "provider_error", provider_error: { exit_code: 3 } });
  });

  it("stderr that names the cause classifies the failure (401 → auth)", async () => {
    const err = await failureOf((await run("codex", "exit")).promise);
    expect((err as ProviderFailure).kind).toBe("auth");
    expect(err.code).toBe("provider_authentication_failed");
  });

  it("a result error wins over the exit code and is classified (rate limit → retryable)", async () => {
    const err = (await failureOf((await run("claude-code", "error")).promise)) as ProviderFailure;
    expect(err.kind).toBe("rate_limited");
    expect(err.retryable).toBe(true);
    expect(err.providerError).toMatchObject({ exit_code: 1, message: expect.stringContaining("rate limit") });
    const amp = (await failureOf((await run("amp", "error")).promise)) as ProviderFailure;
    expect(amp.kind).toBe("quota");
    const codex = (await failureOf((await run("codex", "failed")).promise)) as ProviderFailure;
    expect(codex.kind).toBe("rate_limited");
  });

  it("malformed lines among valid ones: the run completes and counts them", async () => {
    const r = await run("claude-code", "malformed");
    const result = await r.promise;
    expect(result.output).toMatchObject({ content: "Hello!", stream: { malformed_lines: 1, unmapped_lines: 3, valid: 5 } });
    expect(ofType(r.events, "error_recovered")).toHaveLength(1);
  });

  it("only garbage on stdout: the run fails with kind protocol", async () => {
    const err = (await failureOf((await run("claude-code", "garbage")).promise)) as ProviderFailure;
    expect(err.kind).toBe("protocol");
    expect(err.message).toMatch(/no valid stream line \(2 malformed\)/);
  });

  it("a CLI that is not installed fails with a clear message (exit 127)", async () => {
    const adapter = createCliAdapter("codex", { ...defaults, command: "codex-not-installed-here" });
    const ctx = context(sb.client("cli-e2e"), {});
    const err = (await failureOf(adapter.execute(ctx, async () => undefined, new AbortController().signal))) as ProviderFailure;
    expect(err.providerError).toMatchObject({ kind: "process_exit", exit_code: 127 });
    expect(err.message).toBe("The codex-not-installed-here CLI is not installed in the sandbox (exit 127)");
  });

  it("a denied tool call kills the CLI and fails the run", async () => {
    const r = await run("claude-code", "success", {
      authorize: (name) => (name === "edit_file" ? { allowed: false, reason: "edits are not allowed", end_run: true } : { allowed: true }),
    });
    const err = await failureOf(r.promise);
    expect(err.code).toBe("tool_permission_denied");
    const tail = r.events.slice(-2).map((e) => [e.type, e.data!.tool_name]);
    expect(tail).toEqual([
      ["tool_call_started", "edit_file"],
      ["tool_call_failed", "edit_file"],
    ]);
  });

  it("the exec timeout ends a CLI that never finishes", async () => {
    const adapter = createCliAdapter("amp", { ...defaults, timeoutMs: 600 });
    const ctx = context(sb.client("cli-e2e"), { options: { env: { PATH, FAKE_CLI_SCENARIO: "slow" } } });
    const err = (await failureOf(adapter.execute(ctx, async () => undefined, new AbortController().signal))) as ProviderFailure;
    expect(err.kind).toBe("timeout");
    expect(err.retryable).toBe(true);
  });
});

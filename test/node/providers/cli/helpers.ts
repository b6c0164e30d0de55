import { spawnSync } from "node:child_process";
import { runFixture } from "../../../support/run-fixture";
import { fileURLToPath } from "node:url";
import { AppError } from "../../../../src/core/errors";
import { newSession } from "../../../../src/core/session";
import type { CliStreamMapper } from "../../../../src/providers/cli/common";
import { CliStreamProcessor } from "../../../../src/providers/cli/stream";
import type { AdapterEvent } from "../../../../src/core/adapter-event";
import type { ExecutionContext } from "../../../../src/providers/types";
import type { RunOptions } from "../../../../src/core/run-options";
import type { SandboxPort } from "../../../../src/core/sandbox-port";
import type { ToolDecision } from "../../../../src/core/tool-decision";

export const FAKE_BIN = fileURLToPath(new URL("../../../fakes/cli/bin", import.meta.url));

/** What a fake CLI prints for a scenario: the recorded stream, replayed by the fake executable itself. */
export function recorded(
  cli: "claude" | "codex" | "amp",
  scenario: string,
  args: string[],
): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(`${FAKE_BIN}/${cli}`, args, { env: { ...process.env, FAKE_CLI_SCENARIO: scenario }, encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

export const CLAUDE_ARGS = ["-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages", "--", "hi"];
export const CLAUDE_ARGS_NO_PARTIAL = ["-p", "--output-format", "stream-json", "--verbose", "--", "hi"];
export const CODEX_ARGS = ["exec", "--json", "--", "hi"];
export const AMP_ARGS = ["--execute", "hi", "--stream-json"];

/** Feeds stdout to a processor in the given chunk sizes (cycled), the way the sandbox delivers it. */
export function mapStdout(mapper: CliStreamMapper, stdout: string, chunkSizes: number[] = []) {
  const processor = new CliStreamProcessor(mapper);
  const events: AdapterEvent[] = [];
  if (chunkSizes.length === 0) events.push(...processor.push(stdout));
  else {
    let at = 0;
    for (let i = 0; at < stdout.length; i++) {
      const size = Math.max(1, chunkSizes[i % chunkSizes.length]!);
      events.push(...processor.push(stdout.slice(at, at + size)));
      at += size;
    }
  }
  events.push(...processor.end());
  return { events, processor, summary: mapper.summary() };
}

export const types = (events: AdapterEvent[]) => events.map((e) => e.type);
export const ofType = (events: AdapterEvent[], type: string) => events.filter((e) => e.type === type);
export const lastOfType = (events: AdapterEvent[], type: string) => ofType(events, type).at(-1);

export function context(
  sandbox: SandboxPort,
  opts: {
    input?: unknown;
    options?: RunOptions;
    native?: string;
    env?: Record<string, unknown>;
    authorize?: (name: string) => ToolDecision;
  } = {},
): ExecutionContext {
  const session = newSession("tenant_a", { agent_id: "agent" }, { maxConcurrentRuns: 1, maxQueuedRuns: 10 });
  const runId = `run_${crypto.randomUUID().replace(/-/g, "")}`;
  const run = runFixture({ id: runId, session_id: session.id, provider: "claude-code", input: opts.input ?? "hi" });
  return {
    session,
    run,
    input: opts.input ?? "hi",
    options: opts.options ?? {},
    hints: {},
    transcript: null,
    native_handle: opts.native ? { provider_session_id: opts.native, model: null } : null,
    sandbox,
    authorizeTool: async (call) => opts.authorize?.(call.tool_name) ?? { allowed: true },
    env: opts.env ?? {},
    now: () => Date.now(),
  };
}

export async function failureOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected the run to fail");
}

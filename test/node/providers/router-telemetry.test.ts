import { describe, expect, it } from "vitest";
import { runFixture } from "../../support/run-fixture";
import type { AdapterEvent } from "../../../src/core/adapter-event";
import { AppError } from "../../../src/core/errors";
import { RoutingPolicySchema } from "../../../src/core/routing";
import type { SandboxPort } from "../../../src/core/sandbox-port";
import { newSession } from "../../../src/core/session";
import type { TelemetryRecord } from "../../../src/core/telemetry";
import { EMPTY_USAGE } from "../../../src/core/usage";
import { ProviderFailure } from "../../../src/providers/errors";
import { RouterAdapter } from "../../../src/providers/router";
import { MemoryRoutingStateStore } from "../../../src/providers/routing-state";
import type { ExecutionContext, ProviderAdapter, RunResult } from "../../../src/providers/types";

/** Test doubles stand in for model providers only (an edge we do not own): each plays one scripted outcome. */
class Scripted implements ProviderAdapter {
  readonly capabilities = { streaming: true, tools: true, native_continuation: false, hints: [], capabilities: [] };
  constructor(
    readonly name: string,
    private readonly outcome: "ok" | (() => Error),
    private readonly tick: () => void,
  ) {}
  async execute(_ctx: ExecutionContext, emit: (e: AdapterEvent) => Promise<void>): Promise<RunResult> {
    await emit({ type: "run_started", data: {} });
    this.tick();
    if (this.outcome !== "ok") throw this.outcome();
    return {
      output: { content: "done" },
      stop_reason: "end_turn",
      token_usage: { ...EMPTY_USAGE },
      turn_count: 1,
      model: `${this.name}-model`,
    };
  }
}

let clock = 5_000_000;
const tick = () => {
  clock += 40;
};
const sandbox = new Proxy({}, { get: () => () => Promise.reject(new Error("unused")) }) as SandboxPort;

function context(): ExecutionContext {
  const session = { ...newSession("tenant_t", { agent_id: "agent" }, { maxConcurrentRuns: 1, maxQueuedRuns: 10 }), id: "ses_t" };
  const run = runFixture({ id: "run_t", session_id: "ses_t", provider: "router" });
  return {
    session,
    run,
    input: "hi",
    options: { model: "m-1" },
    hints: {},
    transcript: null,
    native_handle: null,
    sandbox,
    authorizeTool: async () => ({ allowed: true }),
    env: {},
    now: () => clock,
  };
}

function router(adapters: Scripted[], records: TelemetryRecord[]) {
  return new RouterAdapter({
    adapters: new Map(adapters.map((a) => [a.name, a as ProviderAdapter])),
    state: new MemoryRoutingStateStore(),
    policy: RoutingPolicySchema.parse({ prefer: adapters.map((a) => a.name), max_attempts: 3 }),
    telemetry: (r) => records.push(r),
  });
}

describe("router attempt telemetry", () => {
  it("one record per attempt: the failed one with its error code, then the one that served", async () => {
    const records: TelemetryRecord[] = [];
    const overloaded = () => new ProviderFailure("anthropic", "overloaded", "529 Overloaded");
    await router([new Scripted("anthropic", overloaded, tick), new Scripted("openai", "ok", tick)], records).execute(
      context(),
      async () => undefined,
      new AbortController().signal,
    );
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      event: "router_attempt",
      tenant_id: "tenant_t",
      session_id: "ses_t",
      run_id: "run_t",
      provider: "anthropic",
      model: "m-1",
      attempt: 1,
      duration_ms: 40,
      status: "failed",
      error_code: expect.any(String),
    });
    expect(records[0]!.error_code).not.toBeNull();
    expect(records[1]).toMatchObject({ provider: "openai", attempt: 2, duration_ms: 40, status: "succeeded", error_code: null });
  });

  it("a non-retryable failure is recorded once and ends routing", async () => {
    const records: TelemetryRecord[] = [];
    const bad = () => new AppError("validation_error", "bad input");
    await expect(
      router([new Scripted("anthropic", bad, tick), new Scripted("openai", "ok", tick)], records).execute(
        context(),
        async () => undefined,
        new AbortController().signal,
      ),
    ).rejects.toThrow("bad input");
    expect(records.map((r) => [r.provider, r.status, r.error_code])).toEqual([["anthropic", "failed", "validation_error"]]);
  });

  it("a logger that throws does not change the outcome", async () => {
    const r = new RouterAdapter({
      adapters: new Map([["openai", new Scripted("openai", "ok", tick) as ProviderAdapter]]),
      state: new MemoryRoutingStateStore(),
      policy: RoutingPolicySchema.parse({}),
      telemetry: () => {
        throw new Error("log sink down");
      },
    });
    const result = await r.execute(context(), async () => undefined, new AbortController().signal);
    expect(result.output.content).toBe("done");
  });
});

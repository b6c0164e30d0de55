import { describe, expect, it } from "vitest";
import { runFixture } from "../../support/run-fixture";
import { AppError } from "../../../src/core/errors";
import { RoutingPolicySchema, type RoutingPolicyInput } from "../../../src/core/routing";
import { newSession } from "../../../src/core/session";
import { EMPTY_USAGE } from "../../../src/core/usage";
import { ProviderFailure } from "../../../src/providers/errors";
import { RouterAdapter } from "../../../src/providers/router";
import { MemoryRoutingStateStore } from "../../../src/providers/routing-state";
import type { AdapterEvent } from "../../../src/core/adapter-event";
import type { Capability, ExecutionContext, ProviderAdapter, RunResult } from "../../../src/providers/types";
import type { SandboxPort } from "../../../src/core/sandbox-port";

/**
 * Test doubles stand in for model providers only (an edge we do not own): each scripted adapter plays one outcome
 * per call, emitting the events a real adapter would, through the real ProviderAdapter port.
 */
type Step =
  | { ok: string }
  | { fail: () => Error }
  | { hang: true } // runs until the signal aborts, like a streaming call being cancelled
  | { wait: Promise<void> }; // succeeds once released, to hold a call open

class ScriptedAdapter implements ProviderAdapter {
  readonly calls: { session_id: string; run_provider: string; native_handle: unknown }[] = [];
  readonly capabilities;
  constructor(
    readonly name: string,
    readonly script: Step[],
    caps: Capability[] = [],
  ) {
    this.capabilities = { streaming: true, tools: true, native_continuation: false, hints: [], capabilities: caps };
  }

  async execute(ctx: ExecutionContext, emit: (e: AdapterEvent) => Promise<void>, signal: AbortSignal): Promise<RunResult> {
    this.calls.push({ session_id: ctx.session.id, run_provider: ctx.run.provider, native_handle: ctx.native_handle });
    const step = this.script.shift() ?? { ok: `${this.name} default` };
    await emit({ type: "run_started", data: { model: `${this.name}-model` } });
    if ("fail" in step) throw step.fail();
    if ("hang" in step) {
      await new Promise<void>((_, reject) =>
        signal.addEventListener("abort", () => reject(new AppError("cancelled", "aborted")), { once: true }),
      );
    }
    if ("wait" in step) await step.wait;
    const content = "ok" in step ? step.ok : `${this.name} done`;
    await emit({ type: "message_received", data: { content, role: "assistant" }, metadata: { own: true } });
    return { output: { content }, stop_reason: "end_turn", token_usage: { ...EMPTY_USAGE }, turn_count: 1, model: `${this.name}-model` };
  }
}

const overloaded = (provider: string) => () => new ProviderFailure(provider, "overloaded", "529 Overloaded");
const authFailed = (provider: string) => () => new ProviderFailure(provider, "auth", "401 invalid x-api-key");

let clock = 1_000_000;
const sandbox = new Proxy({}, { get: () => () => Promise.reject(new Error("sandbox not used by routed test adapters")) }) as SandboxPort;

function context(sessionId: string, opts: { routing?: unknown; native?: string } = {}): ExecutionContext {
  const session = { ...newSession("tenant_a", { agent_id: "agent" }, { maxConcurrentRuns: 1, maxQueuedRuns: 10 }), id: sessionId };
  const run = runFixture({ id: `run_${sessionId}`, session_id: sessionId, provider: "router" });
  return {
    session,
    run,
    input: "hi",
    options: opts.routing === undefined ? {} : { sdk_opts: { routing: opts.routing } },
    hints: {},
    transcript: null,
    native_handle: opts.native ? { provider_session_id: opts.native, model: null } : null,
    sandbox,
    authorizeTool: async () => ({ allowed: true }),
    env: {},
    now: () => clock,
  };
}

function setup(adapters: ScriptedAdapter[], policy: RoutingPolicyInput) {
  const state = new MemoryRoutingStateStore();
  const map = new Map(adapters.map((a) => [a.name, a as ProviderAdapter]));
  const parsed = RoutingPolicySchema.parse(policy);
  // One router per run, as the session executor builds them; the store is the tenant's, shared by all of them.
  const run = async (sessionId: string, opts: { routing?: unknown; native?: string; signal?: AbortSignal } = {}) => {
    const events: AdapterEvent[] = [];
    const router = new RouterAdapter({ adapters: map, state, policy: parsed });
    const result = await router.execute(
      context(sessionId, opts),
      async (e) => {
        events.push(e);
      },
      opts.signal ?? new AbortController().signal,
    );
    return { result, events };
  };
  const runError = async (sessionId: string, opts: { routing?: unknown; signal?: AbortSignal } = {}) => {
    try {
      await run(sessionId, opts);
    } catch (err) {
      return err as AppError;
    }
    throw new Error("expected the run to fail");
  };
  return { state, run, runError };
}

describe("RouterAdapter: failover", () => {
  it("fails over from a retryable overloaded error to the next provider, with routing metadata on events and result", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ fail: overloaded("anthropic") }]);
    const openai = new ScriptedAdapter("openai", [{ ok: "from openai" }]);
    const { run, state } = setup([openai, anthropic], { prefer: ["anthropic", "openai"] });
    const { result, events } = await run("ses_1");

    expect(result.output.content).toBe("from openai");
    expect(result.output.routing).toEqual({
      routed_provider: "openai",
      routing_attempt: 2,
      routing_candidates: ["anthropic", "openai"],
      failover_from: "anthropic",
      failover_reason: "provider_unavailable",
      attempts: [
        { provider: "anthropic", attempt: 1, code: "provider_unavailable", message: "529 Overloaded", retryable: true, kind: "overloaded" },
      ],
    });
    expect(events.map((e) => [e.type, e.metadata])).toEqual([
      ["run_started", { routed_provider: "anthropic", routing_attempt: 1, routing_candidates: ["anthropic", "openai"] }],
      [
        "run_started",
        {
          routed_provider: "openai",
          routing_attempt: 2,
          routing_candidates: ["anthropic", "openai"],
          failover_from: "anthropic",
          failover_reason: "provider_unavailable",
        },
      ],
      [
        "message_received",
        {
          own: true,
          routed_provider: "openai",
          routing_attempt: 2,
          routing_candidates: ["anthropic", "openai"],
          failover_from: "anthropic",
          failover_reason: "provider_unavailable",
        },
      ],
    ]);
    expect(openai.calls[0]?.run_provider).toBe("openai");
    const snap = await state.snapshot();
    expect(snap.anthropic).toMatchObject({
      circuit: "closed",
      failures: 1,
      consecutive_failures: 1,
      last_failure_at: new Date(clock).toISOString(),
    });
    expect(snap.openai).toMatchObject({ circuit: "closed", failures: 0, consecutive_failures: 0 });
  });

  it("rethrows a non-retryable error at once, without trying others or counting it against the provider", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ fail: authFailed("anthropic") }]);
    const openai = new ScriptedAdapter("openai", []);
    const { runError, state } = setup([anthropic, openai], { prefer: ["anthropic"] });
    const err = await runError("ses_1");
    expect(err).toBeInstanceOf(ProviderFailure);
    expect(err.code).toBe("provider_authentication_failed");
    expect(openai.calls).toHaveLength(0);
    expect((await state.snapshot()).anthropic).toBeUndefined();
  });

  it("stops after max_attempts and reports every attempt", async () => {
    const adapters = ["amp", "codex", "shell"].map(
      (n) => new ScriptedAdapter(n, [{ fail: () => new ProviderFailure(n, "rate_limited", "429") }]),
    );
    const { runError } = setup(adapters, { max_attempts: 2 });
    const err = await runError("ses_1");
    expect(err.code).toBe("provider_unavailable");
    expect(err.message).toBe("No more providers available for failover");
    expect((err.details.attempts as { provider: string; code: string }[]).map((a) => [a.provider, a.code])).toEqual([
      ["amp", "provider_rate_limited"],
      ["codex", "provider_rate_limited"],
    ]);
    expect(adapters.map((a) => a.calls.length)).toEqual([1, 1, 0]);
  });

  it("with no eligible candidates fails with 'No eligible providers'", async () => {
    const shell = new ScriptedAdapter("shell", [], [{ type: "code_execution", name: "bash" }]);
    const codex = new ScriptedAdapter(
      "codex",
      [],
      [
        { type: "code_execution", name: "bash" },
        { type: "tool", name: "apply_patch" },
      ],
    );
    const { runError, run } = setup([shell, codex], { exclude: ["codex"] });
    const excluded = await runError("ses_1", { routing: { required_capabilities: [{ type: "tool", name: "apply_patch" }] } });
    expect([excluded.code, excluded.message]).toEqual(["provider_unavailable", "No eligible providers"]);
    // The per-run override can lift the exclusion; a type-only requirement then matches both.
    const { result } = await run("ses_1", {
      routing: { exclude: [], prefer: ["codex"], required_capabilities: [{ type: "code_execution" }] },
    });
    expect(result.output.routing).toMatchObject({ routed_provider: "codex", routing_candidates: ["codex", "shell"] });
  });

  it("rejects an invalid per-run override", async () => {
    const { runError } = setup([new ScriptedAdapter("shell", [])], {});
    const err = await runError("ses_1", { routing: { strategy: "random" } });
    expect(err.code).toBe("validation_error");
  });

  it("skips a provider in health cooldown until cooldown_ms has passed", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ fail: overloaded("anthropic") }, { ok: "back" }]);
    const openai = new ScriptedAdapter("openai", []);
    const { run } = setup([anthropic, openai], { prefer: ["anthropic", "openai"], cooldown_ms: 5_000 });
    await run("ses_1");
    clock += 4_999;
    expect((await run("ses_2")).result.output.routing).toMatchObject({ routed_provider: "openai", routing_candidates: ["openai"] });
    clock += 1;
    expect((await run("ses_3")).result.output.content).toBe("back");
  });
});

describe("RouterAdapter: circuit breaker shared by a tenant's sessions", () => {
  const policy: RoutingPolicyInput = {
    prefer: ["anthropic", "openai"],
    cooldown_ms: 0,
    breaker: { failure_threshold: 3, cooldown_ms: 10_000 },
  };

  async function tripAnthropic() {
    const anthropic = new ScriptedAdapter(
      "anthropic",
      [1, 2, 3].map(() => ({ fail: overloaded("anthropic") })),
    );
    const openai = new ScriptedAdapter("openai", []);
    const routed = setup([anthropic, openai], policy);
    // Failures from two different sessions add up in the tenant's breaker.
    for (const sessionId of ["ses_a", "ses_b", "ses_a"]) {
      expect((await routed.run(sessionId)).result.output.routing).toMatchObject({
        routed_provider: "openai",
        failover_from: "anthropic",
      });
    }
    return { anthropic, openai, ...routed };
  }

  it("opens after failure_threshold failures across sessions, and then blocks requests", async () => {
    const { anthropic, run, state } = await tripAnthropic();
    expect((await state.snapshot()).anthropic).toMatchObject({ circuit: "open", failures: 3, opened_at: new Date(clock).toISOString() });
    clock += 9_999;
    const { result } = await run("ses_b");
    expect(result.output.routing).toEqual({
      routed_provider: "openai",
      routing_attempt: 1,
      routing_candidates: ["openai"],
      attempts: [],
    });
    expect(anthropic.calls).toHaveLength(3);
  });

  it("after the cooldown lets one half-open probe through, and a success closes the circuit", async () => {
    const { anthropic, openai, run, state } = await tripAnthropic();
    clock += 10_000;
    let release!: () => void;
    anthropic.script.push({
      wait: new Promise<void>((r) => {
        release = r;
      }),
    });
    const probe = run("ses_a");
    await new Promise((r) => setTimeout(r, 0));
    expect((await state.snapshot()).anthropic?.circuit).toBe("half_open");
    // While the probe is out, the other session is not let through to anthropic.
    expect((await run("ses_b")).result.output.routing).toMatchObject({ routed_provider: "openai", routing_candidates: ["openai"] });
    release();
    expect((await probe).result.output.routing).toMatchObject({ routed_provider: "anthropic", routing_attempt: 1 });
    expect((await state.snapshot()).anthropic).toMatchObject({ circuit: "closed", failures: 0 });
    expect((await run("ses_b")).result.output.routing).toMatchObject({ routed_provider: "anthropic" });
    expect(openai.calls.map((c) => c.session_id)).toEqual(["ses_a", "ses_b", "ses_a", "ses_b"]);
  });

  it("a failed half-open probe reopens the circuit for another cooldown", async () => {
    const { anthropic, run, state } = await tripAnthropic();
    clock += 10_000;
    anthropic.script.push({ fail: overloaded("anthropic") });
    expect((await run("ses_a")).result.output.routing).toMatchObject({ routed_provider: "openai", failover_from: "anthropic" });
    expect((await state.snapshot()).anthropic).toMatchObject({ circuit: "open", opened_at: new Date(clock).toISOString() });
    clock += 9_999;
    await run("ses_b");
    expect(anthropic.calls).toHaveLength(4);
  });

  it("with the breaker disabled, failures never block the provider", async () => {
    const anthropic = new ScriptedAdapter(
      "anthropic",
      [1, 2, 3, 4].map(() => ({ fail: overloaded("anthropic") })),
    );
    const { run } = setup([anthropic, new ScriptedAdapter("openai", [])], { ...policy, breaker: { enabled: false, failure_threshold: 1 } });
    for (let i = 0; i < 4; i++) await run("ses_a");
    expect(anthropic.calls).toHaveLength(4);
  });
});

describe("RouterAdapter: stickiness", () => {
  it("keeps a session on the provider that served it, falls back when it is unavailable, and expires", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ fail: overloaded("anthropic") }]);
    const openai = new ScriptedAdapter("openai", [{ ok: "o1" }, { ok: "o2" }, { fail: overloaded("openai") }]);
    const { run } = setup([anthropic, openai], {
      prefer: ["anthropic", "openai"],
      sticky: true,
      sticky_ttl_ms: 60_000,
      cooldown_ms: 1_000,
    });
    const routed = async (sessionId: string, native?: string) => (await run(sessionId, native ? { native } : {})).result.output.routing;

    expect(await routed("ses_1")).toMatchObject({ routed_provider: "openai", failover_from: "anthropic" }); // binds ses_1 → openai
    clock += 1_000; // anthropic's cooldown is over
    expect(await routed("ses_1", "thread_1")).toMatchObject({ routed_provider: "openai", routing_candidates: ["openai", "anthropic"] });
    expect(openai.calls[1]?.native_handle).toEqual({ provider_session_id: "thread_1", model: null }); // the bound provider gets the handle
    expect(await routed("ses_2", "thread_2")).toMatchObject({ routed_provider: "anthropic" }); // another session is not bound
    expect(anthropic.calls[1]?.native_handle).toBeNull();

    // The bound provider fails: failover, and the binding follows the one that served.
    expect(await routed("ses_1")).toMatchObject({ routed_provider: "anthropic", failover_from: "openai" });
    clock += 1_000; // openai's cooldown is over, but ses_1 now sticks to anthropic
    expect(await routed("ses_1")).toMatchObject({ routed_provider: "anthropic" });
  });

  it("a bound provider in cooldown is passed over and the binding updated", async () => {
    const openai = new ScriptedAdapter("openai", [{ ok: "bind" }, { fail: overloaded("openai") }]);
    const anthropic = new ScriptedAdapter("anthropic", []);
    const { run } = setup([anthropic, openai], { prefer: ["openai", "anthropic"], sticky_session_id: "team", cooldown_ms: 1_000 });
    await run("ses_1");
    // openai fails for another session of the same sticky id: it is now in cooldown.
    expect((await run("ses_2")).result.output.routing).toMatchObject({ routed_provider: "anthropic" });
    clock += 1_000;
    expect((await run("ses_3")).result.output.routing).toMatchObject({
      routed_provider: "anthropic",
      routing_candidates: ["anthropic", "openai"],
    });
  });

  it("an expired binding no longer applies", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ fail: overloaded("anthropic") }]);
    const openai = new ScriptedAdapter("openai", []);
    const { run } = setup([anthropic, openai], { prefer: ["anthropic", "openai"], sticky: true, sticky_ttl_ms: 5_000, cooldown_ms: 1_000 });
    await run("ses_1");
    clock += 5_000;
    expect((await run("ses_1")).result.output.routing).toMatchObject({ routed_provider: "anthropic" });
  });
});

describe("RouterAdapter: cancellation", () => {
  it("a cancel mid-run stops everything and is not a provider failure", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ hang: true }]);
    const openai = new ScriptedAdapter("openai", []);
    const { runError, state } = setup([anthropic, openai], { prefer: ["anthropic", "openai"], breaker: { failure_threshold: 1 } });
    const controller = new AbortController();
    const pending = runError("ses_1", { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 0));
    controller.abort();
    const err = await pending;
    expect(err.code).toBe("cancelled");
    expect(openai.calls).toHaveLength(0);
    expect((await state.snapshot()).anthropic).toBeUndefined();
  });

  it("cancelling a half-open probe gives it back", async () => {
    const anthropic = new ScriptedAdapter("anthropic", [{ fail: overloaded("anthropic") }, { hang: true }, { ok: "probe 2" }]);
    const { run, runError } = setup([anthropic, new ScriptedAdapter("openai", [])], {
      prefer: ["anthropic", "openai"],
      cooldown_ms: 0,
      breaker: { failure_threshold: 1, cooldown_ms: 1_000 },
    });
    await run("ses_1");
    clock += 1_000;
    const controller = new AbortController();
    const pending = runError("ses_1", { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 0));
    controller.abort();
    expect((await pending).code).toBe("cancelled");
    expect((await run("ses_2")).result.output.content).toBe("probe 2");
  });

  it("an already aborted signal tries nothing", async () => {
    const anthropic = new ScriptedAdapter("anthropic", []);
    const { runError } = setup([anthropic], {});
    const controller = new AbortController();
    controller.abort({ kind: "cancelled", reason: "user" }); // the executor's abort reason is plain data
    expect((await runError("ses_1", { signal: controller.signal })).code).toBe("cancelled");
    expect(anthropic.calls).toHaveLength(0);
  });
});

describe("RouterAdapter: capabilities", () => {
  it("offers the union of its adapters' capabilities", () => {
    const a = new ScriptedAdapter("shell", [], [{ type: "code_execution", name: "bash" }]);
    const b = new ScriptedAdapter(
      "codex",
      [],
      [
        { type: "code_execution", name: "bash" },
        { type: "tool", name: "apply_patch" },
      ],
    );
    const router = new RouterAdapter({
      adapters: new Map([
        ["shell", a],
        ["codex", b],
      ]),
      state: new MemoryRoutingStateStore(),
      policy: RoutingPolicySchema.parse({}),
    });
    expect(router.name).toBe("router");
    expect(router.capabilities.capabilities).toEqual([
      { type: "code_execution", name: "bash" },
      { type: "tool", name: "apply_patch" },
    ]);
  });
});

import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import {
  applySticky,
  boundProvider,
  type CAPABILITY_TYPES,
  FRESH_RECORD,
  filterByCapabilities,
  isAvailable,
  mergeRoutingPolicy,
  orderCandidates,
  RoutingPolicyOverrideSchema,
  stickyIdOf,
  type RoutingPolicy,
} from "../core/routing";
import { routerAttemptRecord, telemetryLogFor, type RouterAttempt, type TelemetryLog } from "../core/telemetry";
import { ProviderFailure } from "./errors";
import type { RoutingStateStore } from "./routing-state";
import type { CapabilityType, Emit, ExecutionContext, ProviderAdapter, ProviderCapabilities, RunResult } from "./types";

// The routing policy validates capability types against core's list; keep it in step with the port's type.
type SameTypes<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _capabilityTypesMatch: SameTypes<CapabilityType, (typeof CAPABILITY_TYPES)[number]> = true;
void _capabilityTypesMatch;

export type RouterDeps = {
  adapters: Map<string, ProviderAdapter>;
  state: RoutingStateStore;
  policy: RoutingPolicy;
  /** Where each attempt's telemetry line goes (by default the console, unless the run's env has TELEMETRY_LOG=off). */
  telemetry?: TelemetryLog;
};

/** One attempt that failed, as reported in `routing.attempts` and in the exhausted error. */
export type FailedAttempt = { provider: string; attempt: number; code: string; message: string; retryable: boolean; kind: string | null };

/** Routing facts put on every event's metadata and on `RunResult.output.routing`. */
type RoutingMeta = {
  routed_provider: string;
  routing_attempt: number;
  routing_candidates: string[];
  failover_from?: string;
  failover_reason?: string;
};

/**
 * The router is itself an adapter: it picks providers by policy and shared health, runs one, and fails
 * over to the next only on a retryable error. Breaker and health live in the tenant's RoutingStateStore.
 */
export class RouterAdapter implements ProviderAdapter {
  readonly name = "router";
  private readonly adapters: Map<string, ProviderAdapter>;
  private readonly state: RoutingStateStore;
  private readonly policy: RoutingPolicy;
  private readonly telemetry: TelemetryLog | null;

  constructor(deps: RouterDeps) {
    this.adapters = deps.adapters;
    this.state = deps.state;
    this.policy = deps.policy;
    this.telemetry = deps.telemetry ?? null;
  }

  /** What some routed adapter offers; hints only where every adapter enforces them, since any may serve. */
  get capabilities(): ProviderCapabilities {
    const all = [...this.adapters.values()].map((a) => a.capabilities);
    const seen = new Set<string>();
    return {
      streaming: all.some((c) => c.streaming),
      tools: all.some((c) => c.tools),
      native_continuation: all.some((c) => c.native_continuation),
      hints: all.length === 0 ? [] : (all[0]?.hints ?? []).filter((h) => all.every((c) => c.hints.includes(h))),
      capabilities: all
        .flatMap((c) => c.capabilities)
        .filter((c) => {
          const key = `${c.type}\u0000${c.name}`;
          return seen.has(key) ? false : (seen.add(key), true);
        }),
    };
  }

  async execute(ctx: ExecutionContext, emit: Emit, signal: AbortSignal): Promise<RunResult> {
    const policy = this.runPolicy(ctx);
    const stickyId = stickyIdOf(policy, ctx.session.id);
    const sticky = stickyId === null ? null : { sticky_id: stickyId, ttl_ms: policy.sticky_ttl_ms };
    const candidates = await this.candidates(policy, stickyId, ctx.now());
    if (candidates.available.length === 0) {
      throw new AppError("provider_unavailable", "No eligible providers", { routing_candidates: candidates.ordered });
    }

    const maxAttempts = Math.min(policy.max_attempts, candidates.available.length);
    const failures: FailedAttempt[] = [];
    for (const provider of candidates.available) {
      if (failures.length >= maxAttempts) break;
      throwIfAborted(signal);
      // Another session may have tripped the circuit or taken the half-open probe since we looked: skip, no attempt.
      if (policy.breaker.enabled && !(await this.state.acquire(provider, ctx.now(), policy.breaker))) continue;

      const previous = failures.at(-1);
      const meta: RoutingMeta = {
        routed_provider: provider,
        routing_attempt: failures.length + 1,
        routing_candidates: candidates.available,
        ...(previous ? { failover_from: previous.provider, failover_reason: previous.code } : {}),
      };
      const adapter = this.adapters.get(provider) as ProviderAdapter; // candidates come from the map's keys
      const began = ctx.now();
      const report = (status: RouterAttempt["status"], err: unknown) =>
        this.report(ctx, provider, meta.routing_attempt, ctx.now() - began, status, err);
      try {
        const result = await adapter.execute(this.innerContext(ctx, provider, candidates.bound), withRouting(emit, meta), signal);
        report("succeeded", null);
        await this.state.recordSuccess(provider, ctx.now(), sticky);
        const routing: JsonObject = { ...meta, attempts: failures };
        return { ...result, output: { ...result.output, routing } };
      } catch (err) {
        report(signal.aborted ? "aborted" : "failed", err);
        if (signal.aborted) {
          await this.state.release(provider);
          throw err;
        }
        if (!isRetryableError(err)) {
          // Bad input, auth, policy: says nothing about the provider's health.
          await this.state.release(provider);
          throw err;
        }
        await this.state.recordFailure(provider, ctx.now(), policy.breaker);
        failures.push(describeFailure(provider, failures.length + 1, err));
      }
    }
    if (failures.length === 0) {
      throw new AppError("provider_unavailable", "No eligible providers", { routing_candidates: candidates.available });
    }
    throw new AppError("provider_unavailable", "No more providers available for failover", {
      attempts: failures,
      routing_candidates: candidates.available,
    });
  }

  /** One telemetry line per attempt; logging never changes the routing outcome. */
  private report(
    ctx: ExecutionContext,
    provider: string,
    attempt: number,
    durationMs: number,
    status: RouterAttempt["status"],
    err: unknown,
  ): void {
    try {
      const model = typeof ctx.options.model === "string" ? ctx.options.model : null;
      const errorCode = err === null ? null : err instanceof AppError ? err.code : "unknown_error";
      (this.telemetry ?? telemetryLogFor(ctx.env))(
        routerAttemptRecord(
          {
            tenant_id: ctx.session.tenant_id,
            session_id: ctx.session.id,
            run_id: ctx.run.id,
            provider,
            model,
            attempt,
            duration_ms: durationMs,
            status,
            error_code: errorCode,
          },
          new Date(ctx.now()),
        ),
      );
    } catch {
      /* telemetry is best effort */
    }
  }

  /** The constructed policy with the run's `sdk_opts.routing` over it. */
  private runPolicy(ctx: ExecutionContext): RoutingPolicy {
    const raw = ctx.options.sdk_opts?.routing;
    if (raw === undefined || raw === null) return this.policy;
    const parsed = RoutingPolicyOverrideSchema.safeParse(raw);
    if (!parsed.success) {
      throw new AppError("validation_error", "Invalid routing override in sdk_opts.routing", {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    return mergeRoutingPolicy(this.policy, parsed.data);
  }

  /** Capability filter → order → drop those in cooldown or behind an open circuit → sticky provider first. */
  private async candidates(policy: RoutingPolicy, stickyId: string | null, now: number) {
    const view = await this.state.view(stickyId, now);
    const record = (id: string) => view.providers[id] ?? FRESH_RECORD;
    const capable = filterByCapabilities(
      [...this.adapters].map(([id, adapter]) => ({ id, capabilities: adapter.capabilities.capabilities })),
      policy.required_capabilities,
    );
    const failureCounts = Object.fromEntries(capable.map((id) => [id, record(id).health.failures]));
    const ordered = orderCandidates(capable, policy, failureCounts);
    const bound = boundProvider(view.binding, now);
    const available = applySticky(
      ordered.filter((id) => isAvailable(record(id), now, policy)),
      bound,
    );
    return { ordered, available, bound };
  }

  /**
   * What the chosen adapter sees: the run attributed to it. A native continuation handle stored under "router"
   * belongs to whichever provider served last; with stickiness that is the bound one, so only it gets the handle.
   */
  private innerContext(ctx: ExecutionContext, provider: string, bound: string | null): ExecutionContext {
    return {
      ...ctx,
      run: { ...ctx.run, provider },
      native_handle: bound === provider ? ctx.native_handle : null,
    };
  }
}

function withRouting(emit: Emit, meta: RoutingMeta): Emit {
  return (event) => emit({ ...event, metadata: { ...(event.metadata ?? {}), ...meta } });
}

function isRetryableError(err: unknown): boolean {
  return err instanceof AppError && err.retryable;
}

function describeFailure(provider: string, attempt: number, err: unknown): FailedAttempt {
  const app = err instanceof AppError ? err : null;
  return {
    provider,
    attempt,
    code: app?.code ?? "unknown_error",
    message: err instanceof Error ? err.message : String(err),
    retryable: app?.retryable ?? false,
    kind: err instanceof ProviderFailure ? err.kind : null,
  };
}

function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new AppError("cancelled", "Run cancelled");
}

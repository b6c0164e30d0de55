import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import {
  compileHints,
  PolicyRuntime,
  PolicySchema,
  preflight,
  stackPolicies,
  type Policy,
  type PolicySummary,
  type PolicyViolation,
} from "../core/policy";
import type { SubmitRunBody } from "../core/run-submit";
import type { NetworkPolicy } from "../core/sandbox-protocol";
import { EMPTY_USAGE, type TokenUsage } from "../core/usage";
import type { AdapterEvent } from "../core/adapter-event";
import type { ProviderHints } from "../providers/types";

export type Violation = PolicyViolation;

/** The effective policy of a submission: `policies` (stacked) wins over `policy`; none → no policy. */
export function effectivePolicy(body: Pick<SubmitRunBody, "policy" | "policies">): Policy | null {
  const raw = body.policies ?? (body.policy ? [body.policy] : []);
  if (raw.length === 0) return null;
  const parsed = raw.map((p, i) => {
    const r = PolicySchema.safeParse(p);
    if (!r.success) {
      throw new AppError("validation_error", `policies[${i}]: ${r.error.issues[0]?.message ?? "invalid policy"}`, {
        issues: r.error.issues.map((x) => ({ path: [`policies[${i}]`, ...x.path.map(String)].join("."), message: x.message })),
      });
    }
    return r.data;
  });
  return stackPolicies(parsed);
}

/** Validates a submission's policies and refuses impossible ones before anything is queued. */
export function preflightSubmission(body: Pick<SubmitRunBody, "policy" | "policies">): void {
  const policy = effectivePolicy(body);
  if (!policy) return;
  const violation = preflight(policy);
  if (violation) {
    throw new AppError(
      "policy_violation",
      `Policy '${violation.policy}' cannot be satisfied: ${String(violation.details.check ?? violation.kind)}`,
      violation.details,
    );
  }
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/**
 * One run's view of its policy: the pure runtime plus what the executor needs around it (hints, the
 * duration limit, and token usage as reported so far, for runs that end before the provider returns it).
 */
export class RunPolicy {
  private readonly policy: Policy | null;
  private readonly runtime: PolicyRuntime | null;
  private usage: TokenUsage = { ...EMPTY_USAGE };

  /** The policy's sandbox rules: the network it allows (unset: no opinion) and whether isolation is required. */
  sandboxRules(): { network: NetworkPolicy | undefined; require_isolation: boolean } {
    return { network: this.policy?.network, require_isolation: this.policy?.require_isolation ?? false };
  }

  constructor(body: SubmitRunBody, costOf: (usage: TokenUsage, model: string | null) => number | null) {
    this.policy = effectivePolicy(body);
    this.runtime = this.policy
      ? new PolicyRuntime(this.policy, {
          now: () => Date.now(),
          costOf: (u, model) => costOf({ ...EMPTY_USAGE, ...u, total: u.input + u.output + u.cache_read + u.cache_creation }, model),
        })
      : null;
  }

  preflight(): Violation | null {
    return this.policy ? preflight(this.policy) : null;
  }

  hints(): ProviderHints {
    return this.policy ? compileHints(this.policy) : {};
  }

  durationLimitMs(): number | null {
    return this.policy?.limits?.max_duration_ms ?? null;
  }

  checkDeadline(): Violation | null {
    return this.runtime?.checkDeadline() ?? null;
  }

  checkTool(name: string, toolCallId: string): Violation | null {
    return this.runtime?.checkTool(name, toolCallId) ?? null;
  }

  observe(event: AdapterEvent): Violation[] {
    if (event.type === "token_usage_updated" && event.data) {
      const d = event.data;
      const input = num(d.input_tokens ?? d.input);
      const output = num(d.output_tokens ?? d.output);
      const cache_read = num(d.cache_read_tokens ?? d.cache_read);
      const cache_creation = num(d.cache_creation_tokens ?? d.cache_creation);
      this.usage = {
        input,
        output,
        cache_read,
        cache_creation,
        total: num(d.total_tokens) || input + output + cache_read + cache_creation,
      };
    }
    // Our adapters report token usage as running totals for the run (see src/providers/types.ts).
    const data = event.type === "token_usage_updated" ? { ...(event.data ?? {}), cumulative: true } : (event.data ?? {});
    return this.runtime?.observe({ type: event.type, data }) ?? [];
  }

  observedUsage(): TokenUsage {
    return this.usage;
  }

  summary(): JsonObject | null {
    return this.runtime ? (this.runtime.summary() as unknown as JsonObject) : null;
  }

  /** The same summary, typed (for GET …/status). */
  typedSummary(): PolicySummary | null {
    return this.runtime?.summary() ?? null;
  }
}

import { z } from "zod";
import { budgetViolation, budgetViolations, toolRuleViolation, violationKey } from "./evaluate";
import { OnViolationSchema, PolicyLimitsSchema, PolicyViolationSchema, toolKey, type Policy, type PolicyViolation } from "./schema";
import { addCounts, readUsageReport, type UsageCounts } from "./usage-report";

export type { UsageCounts } from "./usage-report";

/** Prices cumulative usage for a model; null when there are no rates for it. */
export type CostOf = (usage: UsageCounts, model: string | null) => number | null;
export type PolicyRuntimeDeps = { now: () => number; costOf: CostOf };
export type PolicyEvent = { type: string; data: Record<string, unknown> };

export const PolicyCountersSchema = z.object({
  tool_calls: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cache_read_tokens: z.number().int(),
  cache_creation_tokens: z.number().int(),
  total_tokens: z.number().int(),
  elapsed_ms: z.number(),
  cost_usd: z.number(),
  /** False once a cost limit could not be checked for lack of rates. */
  cost_supported: z.boolean(),
  model: z.string().nullable(),
});
export type PolicyCounters = z.infer<typeof PolicyCountersSchema>;

/** What a run records in its metadata (`run.metadata.policy`), and GET …/status shows for a run in flight. */
export const PolicySummarySchema = z.object({
  policy: z.string(),
  action: OnViolationSchema,
  /** The limits the counters are measured against, so a reader can tell what budget is left. */
  limits: PolicyLimitsSchema,
  violations: z.array(PolicyViolationSchema),
  warnings: z.array(z.string()),
  counters: PolicyCountersSchema,
});
export type PolicySummary = z.infer<typeof PolicySummarySchema>;

export const MISSING_COST_RATES = "missing_cost_rates";

/** Bounds the bookkeeping that pairs tool gates with `tool_call_started` events. */
const MAX_PENDING_PAIRS = 64;
type PendingCall = { id: string | null; key: string; ordinal: number };

function stringField(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && value.length > 0 ? value : null;
}

function pushBounded<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_PENDING_PAIRS) list.shift();
}

/** Removes and returns the first entry naming the same call: by id when both have one, else by tool name. */
function takeMatch(list: PendingCall[], id: string | null, key: string): PendingCall | null {
  const index = list.findIndex((p) => (p.id !== null && id !== null ? p.id === id : p.key === key));
  return index < 0 ? null : (list.splice(index, 1)[0] ?? null);
}

/**
 * One run's policy state: counters fed by every event, checks after each, and each distinct
 * violation (kind + metric or tool) reported once. `checkTool` is the gate before a tool runs and refuses
 * every offending call, but records its violation once too.
 */
export class PolicyRuntime {
  private readonly startedAt: number;
  private readonly hasCostLimit: boolean;
  private usage: UsageCounts = { input: 0, output: 0, cache_read: 0, cache_creation: 0 };
  private counters: PolicyCounters;
  private readonly reported = new Set<string>();
  private readonly violations: PolicyViolation[] = [];
  private readonly warnings: string[] = [];
  /** Calls seen starting but not yet gated (adapters that announce first), and gated calls not yet started. */
  private readonly startedUngated: PendingCall[] = [];
  private readonly gatedUnstarted: PendingCall[] = [];

  constructor(
    readonly policy: Policy,
    private readonly deps: PolicyRuntimeDeps,
  ) {
    this.startedAt = deps.now();
    this.hasCostLimit = policy.limits.max_cost_usd !== undefined;
    this.counters = {
      tool_calls: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_creation_tokens: 0,
      total_tokens: 0,
      elapsed_ms: 0,
      cost_usd: 0,
      cost_supported: true,
      model: null,
    };
  }

  /** Gate for a tool call about to run: tool rules, then the tool-call budget counting this call. */
  checkTool(name: string, toolCallId?: string): PolicyViolation | null {
    this.tick();
    const key = toolKey(name);
    const id = toolCallId ?? null;
    const alreadyStarted = takeMatch(this.startedUngated, id, key);
    const ordinal = alreadyStarted?.ordinal ?? this.counters.tool_calls + this.gatedUnstarted.length + 1;
    const violation = toolRuleViolation(this.policy, name) ?? budgetViolation(this.policy, "tool_calls", ordinal);
    if (violation) this.record([violation]);
    // Only a call that goes ahead is expected to start; one awaiting approval starts (if at all) unpaired.
    const proceeds = violation === null || violation.action === "warn";
    if (proceeds && !alreadyStarted) pushBounded(this.gatedUnstarted, { id, key, ordinal });
    return violation;
  }

  /** Feeds one event into the counters; returns the violations not reported before. */
  observe(event: PolicyEvent): PolicyViolation[] {
    this.tick();
    const data = event.data;
    if (event.type === "run_started") this.captureModel(data);
    if (event.type === "tool_call_started") this.countToolCall(data);
    if (event.type === "token_usage_updated") this.addUsage(data);

    const found: PolicyViolation[] = [];
    const toolName = stringField(data, "tool_name") ?? stringField(data, "name");
    if (toolName !== null) {
      const ruleViolation = toolRuleViolation(this.policy, toolName);
      if (ruleViolation) found.push(ruleViolation);
    }
    found.push(...budgetViolations(this.policy, this.actuals()));
    return this.record(found);
  }

  /** For a timer set at the duration limit: the duration violation, if it is new. */
  checkDeadline(): PolicyViolation | null {
    this.tick();
    return this.record([budgetViolation(this.policy, "duration_ms", this.counters.elapsed_ms)].filter((v) => v !== null))[0] ?? null;
  }

  summary(): PolicySummary {
    this.tick();
    return {
      policy: this.policy.name,
      action: this.policy.on_violation,
      limits: { ...this.policy.limits },
      violations: [...this.violations],
      warnings: [...this.warnings],
      counters: { ...this.counters },
    };
  }

  private tick(): void {
    this.counters.elapsed_ms = Math.max(0, this.deps.now() - this.startedAt);
  }

  private actuals() {
    const c = this.counters;
    const cost = this.hasCostLimit && c.cost_supported ? c.cost_usd : null;
    return { total_tokens: c.total_tokens, duration_ms: c.elapsed_ms, tool_calls: c.tool_calls, cost_usd: cost };
  }

  private captureModel(data: Record<string, unknown>): void {
    const model = stringField(data, "model");
    if (model !== null) this.counters.model = model;
  }

  private countToolCall(data: Record<string, unknown>): void {
    this.counters.tool_calls += 1;
    const id = stringField(data, "tool_call_id");
    const key = toolKey(stringField(data, "tool_name") ?? stringField(data, "name") ?? "");
    if (!takeMatch(this.gatedUnstarted, id, key)) {
      pushBounded(this.startedUngated, { id, key, ordinal: this.counters.tool_calls });
    }
  }

  private addUsage(data: Record<string, unknown>): void {
    const report = readUsageReport(data);
    this.usage = report.cumulative ? report : addCounts(this.usage, report);
    const c = this.counters;
    c.input_tokens = this.usage.input;
    c.output_tokens = this.usage.output;
    c.cache_read_tokens = this.usage.cache_read;
    c.cache_creation_tokens = this.usage.cache_creation;
    // A reported total is a run total: keep the largest seen. Totals never go down.
    c.total_tokens = Math.max(c.total_tokens, report.total ?? this.usage.input + this.usage.output);
    this.priceUsage();
  }

  private priceUsage(): void {
    const cost = this.deps.costOf({ ...this.usage }, this.counters.model);
    if (cost === null || !Number.isFinite(cost)) {
      if (this.hasCostLimit) {
        this.counters.cost_supported = false;
        if (!this.warnings.includes(MISSING_COST_RATES)) this.warnings.push(MISSING_COST_RATES);
      }
      return;
    }
    this.counters.cost_usd = cost;
    this.counters.cost_supported = true;
  }

  /** Keeps the first of each distinct violation; returns only those not seen before. */
  private record(candidates: PolicyViolation[]): PolicyViolation[] {
    const fresh: PolicyViolation[] = [];
    for (const v of candidates) {
      const key = violationKey(v);
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.violations.push(v);
      fresh.push(v);
    }
    return fresh;
  }
}

import { AppError, isRetryable } from "../core/errors";
import type { Event } from "../core/event";
import type { JsonObject } from "../core/json";
import type { Run, RunError } from "../core/run";
import type { SubmitRunBody } from "../core/run-submit";
import type { Session } from "../core/session";
import { addUsage, type TokenUsage } from "../core/usage";
import { finalCost } from "../core/cost";
import { ProviderFailure } from "../providers/errors";
import type { AdapterEvent } from "../core/adapter-event";
import type { ExecutionContext, ProviderAdapter, RunResult } from "../providers/types";
import type { ToolCallRequest, ToolDecision } from "../core/tool-decision";
import type { TranscriptMessage } from "../core/transcript";
import type { Approvals } from "./approvals";
import type { PolicySummary } from "../core/policy";
import { RunPolicy, type Violation } from "./run-policy";
import type { WorkspaceOptions, WorkspaceSummary, WorkspaceTracker } from "./workspace-tracker";
import type { SandboxClient } from "../sandbox/client";
import { narrowestNetwork } from "../core/policy/stack";
import type { IsolationInfo } from "../core/sandbox-protocol";

/** What the executor needs from its Durable Object. */
export interface ExecutorHost {
  readonly env: Record<string, unknown>;
  readonly approvals: Approvals;
  session(): Session;
  saveSession(session: Session): void;
  getRun(id: string): Run;
  saveRun(run: Run): void;
  emit(run: Run, event: AdapterEvent): Event;
  sandbox(): SandboxClient;
  /** How the sandbox isolates runs (cached); null when there is no sandbox or it cannot be asked. */
  isolation(): Promise<IsolationInfo | null>;
  workspace(run: Run, opts: WorkspaceOptions, emit: (e: AdapterEvent) => void): WorkspaceTracker;
  adapter(provider: string, body: SubmitRunBody): ProviderAdapter;
  transcriptFor(run: Run, body: SubmitRunBody, usingNative: boolean): TranscriptMessage[] | null;
  nativeHandleFor(run: Run, body: SubmitRunBody, adapter: ProviderAdapter): ExecutionContext["native_handle"];
  costOf(provider: string, model: string | null, usage: TokenUsage): number | null;
  approvalTimeoutMs: number;
}

/** Why an in-flight run was aborted; the executor turns it into the run's end. */
export type AbortReason =
  | { kind: "cancelled"; reason: string }
  | { kind: "timeout"; timeout_ms: number }
  | { kind: "policy"; violation: Violation }
  | { kind: "approval_expired"; tool_call_id: string };

function errorOf(err: unknown): RunError {
  if (err instanceof ProviderFailure)
    return { code: err.code, message: err.message, details: err.details, provider_error: err.providerError, retryable: err.retryable };
  if (err instanceof AppError) return { code: err.code, message: err.message, details: err.details, retryable: err.retryable };
  return { code: "internal_error", message: err instanceof Error ? err.message : String(err), retryable: false };
}

/** Input messages persisted as `message_sent` before the provider sees them. */
export function inputMessages(input: unknown): { role: string; content: string }[] {
  const stringify = (c: unknown) => (typeof c === "string" ? c : JSON.stringify(c));
  if (typeof input === "string") return input ? [{ role: "user", content: input }] : [];
  if (!input || typeof input !== "object") return [];
  const o = input as Record<string, unknown>;
  if (Array.isArray(o.messages)) {
    return o.messages
      .map((m) => ({
        role: String((m as { role?: unknown }).role ?? "user").toLowerCase(),
        content: stringify((m as { content?: unknown }).content ?? ""),
      }))
      .filter((m) => m.content !== "");
  }
  if (typeof o.prompt === "string" && o.prompt) return [{ role: "user", content: o.prompt }];
  if (typeof o.command === "string") return [{ role: "user", content: [o.command, ...(Array.isArray(o.args) ? o.args : [])].join(" ") }];
  return [];
}

/**
 * Runs one run from `running` to a terminal state. Everything the run produces goes through `host.emit`,
 * and the policy runtime sees every event and every tool call first.
 */
export class RunExecution {
  readonly controller = new AbortController();
  private readonly policy: RunPolicy;
  private violationsToFail: Violation | null = null;
  private deadline: ReturnType<typeof setTimeout> | null = null;
  private workspaceSummary: WorkspaceSummary | null = null;
  private readonly emittedViolations = new Set<string>();
  /** Reported on run_started: `bubblewrap`, `none`, or `unknown` when the sandbox could not be asked. */
  private isolation: string = "unknown";

  constructor(
    private readonly host: ExecutorHost,
    private run: Run,
    private readonly body: SubmitRunBody,
    private readonly timeoutMs: number,
  ) {
    this.policy = new RunPolicy(body, (usage, model) => host.costOf(run.provider, model, usage));
  }

  /** The policy's counters and limits so far (GET …/status shows them while the run is in flight). */
  policySummary(): PolicySummary | null {
    return this.policy.typedSummary();
  }

  abort(reason: AbortReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  async execute(): Promise<Run> {
    const host = this.host;
    const preflight = this.policy.preflight();
    if (preflight) {
      this.emit({ type: "policy_violation", data: { ...preflight } });
      return this.finish("failed", null, {
        code: "policy_violation",
        message: `Policy preflight failed: ${String(preflight.details.check ?? preflight.kind)}`,
        details: preflight.details,
      });
    }
    const rules = this.policy.sandboxRules();
    const network = narrowestNetwork(rules.network, this.body.options?.network);
    const limits = this.body.options?.sandbox_limits;
    const isolation = await host.isolation();
    this.isolation = isolation?.mode ?? "unknown";
    if (rules.require_isolation && isolation?.mode !== "bubblewrap") {
      // Fail closed: a sandbox that cannot say it is isolated is treated as not isolated.
      const details = {
        check: "require_isolation",
        reason: "isolation_unavailable",
        isolation: this.isolation,
        why: isolation?.reason ?? "the sandbox did not answer",
      };
      this.emit({ type: "policy_violation", data: { policy: "require_isolation", kind: "tool_denied", action: "cancel", details } });
      return this.finish("failed", null, {
        code: "policy_violation",
        message: `The policy requires an isolated sandbox, and this one is ${this.isolation === "none" ? "not isolated" : "not reachable"}: ${details.why}`,
        details,
      });
    }
    const options = { ...(this.body.options ?? {}), ...(network !== undefined ? { network } : {}) };
    let adapter: ProviderAdapter;
    let native: ExecutionContext["native_handle"];
    let transcript: TranscriptMessage[] | null;
    let workspace: WorkspaceTracker | null = null;
    try {
      // Continuation is resolved before this run's own input enters the log, so the transcript holds only what came before.
      adapter = host.adapter(this.run.provider, this.body);
      native = host.nativeHandleFor(this.run, this.body, adapter);
      transcript = host.transcriptFor(this.run, this.body, native !== null);
      if (this.body.workspace?.snapshot) {
        workspace = host.workspace(this.run, this.body.workspace, (e) => this.emit(e));
        await workspace.snapshotBefore();
      }
    } catch (err) {
      return this.finish("failed", null, errorOf(err));
    }
    for (const m of inputMessages(this.run.input)) this.emit({ type: "message_sent", data: m });
    this.deadline = setTimeout(() => this.abort({ kind: "timeout", timeout_ms: this.timeoutMs }), this.timeoutMs);
    const durationLimit = this.policy.durationLimitMs();
    const durationTimer =
      durationLimit !== null ? setTimeout(() => this.onViolations(this.policy.checkDeadline()), durationLimit + 1) : null;
    let result: RunResult | null = null;
    let failure: unknown = null;
    try {
      const ctx: ExecutionContext = {
        // The submitted input, not the stored run's: the stored copy is redacted, and a run must see the real values.
        session: host.session(),
        run: this.run,
        input: this.body.input,
        options,
        hints: this.policy.hints(),
        transcript,
        native_handle: native,
        sandbox: host.sandbox().forRun({ ...(network !== undefined ? { network } : {}), ...(limits ? { limits } : {}) }),
        authorizeTool: (call) => this.authorizeTool(call),
        env: host.env,
        now: () => Date.now(),
      };
      result = await adapter.execute(
        ctx,
        async (e) => {
          // Every run_started says how its commands were contained, whichever adapter sent it.
          this.emit(e.type === "run_started" ? { ...e, data: { ...e.data, isolation: this.isolation } } : e);
        },
        this.controller.signal,
      );
    } catch (err) {
      failure = err;
    } finally {
      if (this.deadline) clearTimeout(this.deadline);
      if (durationTimer) clearTimeout(durationTimer);
      host.approvals.cancelRun(this.run.id);
    }
    let workspaceSummary: WorkspaceSummary | null = null;
    if (workspace) {
      const succeeded = !this.controller.signal.aborted && !failure && result !== null && !this.violationsToFail;
      try {
        workspaceSummary = await workspace.finish(succeeded);
      } catch (err) {
        this.host.emit(this.run, {
          type: "error_occurred",
          data: {
            error_code: "workspace_error",
            error_message: `Workspace diff failed: ${err instanceof Error ? err.message : String(err)}`,
          },
        });
      }
    }
    return this.conclude(result, failure, workspaceSummary);
  }

  private conclude(result: RunResult | null, failure: unknown, workspace: WorkspaceSummary | null): Run {
    this.workspaceSummary = workspace;
    const signal = this.controller.signal;
    const reason = signal.aborted ? (signal.reason as AbortReason) : null;
    if (reason?.kind === "cancelled") return this.finish("cancelled", null, null, { reason: reason.reason });
    if (reason?.kind === "timeout") {
      this.emit({ type: "run_timeout", data: { timeout_ms: reason.timeout_ms } });
      return this.finish("timeout", null, {
        code: "timeout",
        message: `Run exceeded its timeout of ${reason.timeout_ms} ms`,
        details: { timeout_ms: reason.timeout_ms },
      });
    }
    if (reason?.kind === "approval_expired") {
      return this.finish("failed", null, {
        code: "timeout",
        message: "The approval request expired before anyone decided",
        details: { tool_call_id: reason.tool_call_id },
      });
    }
    const violation = this.violationsToFail ?? (reason?.kind === "policy" ? reason.violation : null);
    if (violation) {
      return this.finish("failed", result, {
        code: "policy_violation",
        message: `Policy '${violation.policy}' violated: ${violation.kind}`,
        details: violation.details,
      });
    }
    if (failure || !result)
      return this.finish("failed", null, errorOf(failure ?? new AppError("internal_error", "Adapter returned no result")));
    return this.finish("completed", result, null);
  }

  private finish(status: Run["status"], result: RunResult | null, error: RunError | null, cancelData: JsonObject = {}): Run {
    const host = this.host;
    const run = host.getRun(this.run.id);
    const usage = result?.token_usage ?? this.policy.observedUsage();
    const model = result?.model ?? run.model;
    // A routed run is priced as the provider that actually served it.
    const routed = (result?.output.routing as { routed_provider?: string } | undefined)?.routed_provider;
    const computed = host.costOf(routed ?? run.provider, model, usage);
    const cost = finalCost(result?.reported_cost_usd, computed);
    const summary = this.policy.summary();
    const ended: Run = {
      // Every failed run says whether retrying may help; errors built here take it from the taxonomy.
      ...run,
      status,
      model,
      error: error ? { ...error, retryable: error.retryable ?? isRetryable(error.code) } : null,
      output: result ? result.output : null,
      token_usage: usage,
      cost_usd: cost,
      turn_count: result?.turn_count ?? run.turn_count,
      metadata: {
        ...run.metadata,
        ...(summary ? { policy: summary } : {}),
        ...(this.workspaceSummary ? { workspace: this.workspaceSummary as unknown as JsonObject } : {}),
        ...(result && "routing" in result.output ? { routing: result.output.routing } : {}),
      },
      ended_at: new Date().toISOString(),
    };
    host.saveRun(ended);
    this.run = ended;
    if (status === "completed") {
      this.emit({
        type: "run_completed",
        data: { stop_reason: result?.stop_reason ?? "end_turn", token_usage: usage, total_cost_usd: cost },
      });
    } else if (status === "cancelled") {
      this.emit({ type: "run_cancelled", data: cancelData });
    } else if (status === "failed" || status === "timeout") {
      if (status === "failed") {
        this.emit({
          type: "run_failed",
          data: {
            error_code: error?.code ?? "internal_error",
            error_message: error?.message ?? "",
            ...(error?.provider_error ? { provider_error: error.provider_error } : {}),
            ...(error?.details ? { details: error.details } : {}),
          },
        });
      }
    }
    const session = host.session();
    const handle = result?.provider_session;
    host.saveSession({
      ...session,
      token_usage: addUsage(session.token_usage, usage),
      cost_usd: cost === null ? session.cost_usd : (session.cost_usd ?? 0) + cost,
      metadata: handle
        ? {
            ...session.metadata,
            provider_sessions: {
              ...((session.metadata.provider_sessions as JsonObject | undefined) ?? {}),
              [run.provider]: { provider_session_id: handle.provider_session_id, model: handle.model },
            },
          }
        : session.metadata,
      updated_at: new Date().toISOString(),
    });
    return ended;
  }

  private emit(event: AdapterEvent): void {
    this.host.emit(this.run, event);
    if (this.controller.signal.aborted) return;
    this.onViolations(this.policy.observe(event));
  }

  /**
   * Emits `policy_violation` once per distinct violation (the tool gate and the event stream can both see the
   * same one); `cancel` aborts the run, which then ends failed even if the provider succeeds.
   */
  private onViolations(violations: Violation[] | Violation | null): void {
    const list = violations === null ? [] : Array.isArray(violations) ? violations : [violations];
    for (const v of list) {
      this.recordViolation(v);
      if (v.action === "cancel") {
        this.violationsToFail ??= v;
        this.abort({ kind: "policy", violation: v });
      }
    }
  }

  private recordViolation(v: Violation): void {
    const key = `${v.kind}:${String(v.details.tool_name ?? v.details.metric ?? "")}`.toLowerCase();
    if (this.emittedViolations.has(key)) return;
    this.emittedViolations.add(key);
    this.host.emit(this.run, { type: "policy_violation", data: { policy: v.policy, kind: v.kind, action: v.action, details: v.details } });
  }

  /** Tool gate: rules and budgets first; `request_approval` pauses the run until a person decides. */
  private async authorizeTool(call: ToolCallRequest): Promise<ToolDecision> {
    const violation = this.policy.checkTool(call.tool_name, call.tool_call_id);
    if (!violation) return { allowed: true };
    if (violation.action === "warn") {
      this.onViolations(violation);
      return { allowed: true };
    }
    if (violation.action === "cancel") {
      this.onViolations(violation);
      return { allowed: false, reason: `Tool '${call.tool_name}' refused by policy '${violation.policy}'`, end_run: true };
    }
    return this.awaitApproval(call, violation);
  }

  private async awaitApproval(call: ToolCallRequest, violation: Violation): Promise<ToolDecision> {
    const host = this.host;
    this.recordViolation(violation);
    this.host.emit(this.run, {
      type: "tool_approval_requested",
      data: {
        tool_name: call.tool_name,
        tool_call_id: call.tool_call_id,
        tool_input: call.tool_input,
        policy_name: violation.policy,
        violation_kind: violation.kind,
      },
    });
    this.setStatus("awaiting_approval");
    if (this.deadline) clearTimeout(this.deadline);
    const timeout = this.body.approval_timeout_ms ?? host.approvalTimeoutMs;
    const outcome = await host.approvals.request(this.run.id, call.tool_call_id, call.tool_name, call.tool_input, timeout);
    if (outcome.decision === "cancelled") return { allowed: false, reason: "Run cancelled", end_run: true };
    this.setStatus("running");
    this.deadline = setTimeout(() => this.abort({ kind: "timeout", timeout_ms: this.timeoutMs }), this.timeoutMs);
    if (outcome.decision === "grant") {
      this.host.emit(this.run, {
        type: "tool_approval_granted",
        data: { tool_name: call.tool_name, tool_call_id: call.tool_call_id, reason: outcome.reason },
      });
      return { allowed: true };
    }
    if (outcome.decision === "expired") {
      this.host.emit(this.run, {
        type: "tool_approval_expired",
        data: { tool_name: call.tool_name, tool_call_id: call.tool_call_id, timeout_ms: timeout },
      });
      this.abort({ kind: "approval_expired", tool_call_id: call.tool_call_id });
      return { allowed: false, reason: "Approval expired", end_run: true };
    }
    this.host.emit(this.run, {
      type: "tool_approval_denied",
      data: { tool_name: call.tool_name, tool_call_id: call.tool_call_id, reason: outcome.reason },
    });
    const endRun = this.body.on_approval_denied === "fail";
    if (endRun) this.violationsToFail ??= violation;
    return { allowed: false, reason: `Denied by a person${outcome.reason ? `: ${outcome.reason}` : ""}`, end_run: endRun };
  }

  private setStatus(status: "running" | "awaiting_approval"): void {
    const run = this.host.getRun(this.run.id);
    if (run.status === status) return;
    this.run = { ...run, status };
    this.host.saveRun(this.run);
  }
}

import type { JsonObject } from "../core/json";

export type ApprovalOutcome = { decision: "grant" | "deny" | "expired" | "cancelled"; reason: string | null };

/** Settled gates remembered so a second decision is a conflict (409) rather than "not found"; bounded. */
const REMEMBERED_OUTCOMES = 1000;

type Pending = {
  run_id: string;
  tool_name: string;
  tool_input: JsonObject;
  resolve: (o: ApprovalOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
};

/**
 * Approval gates: a tool call that needs a person parks here until `decide` is called, the run is cancelled,
 * or it expires. The run's executor holds the only awaiter; the HTTP handler only decides.
 */
export class Approvals {
  private readonly pending = new Map<string, Pending>();
  private readonly settled = new Map<string, { run_id: string; decision: ApprovalOutcome["decision"] }>();

  request(runId: string, toolCallId: string, toolName: string, toolInput: JsonObject, timeoutMs: number): Promise<ApprovalOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.settle(toolCallId, { decision: "expired", reason: `No decision within ${timeoutMs} ms` }),
        timeoutMs,
      );
      this.pending.set(toolCallId, { run_id: runId, tool_name: toolName, tool_input: toolInput, resolve, timer });
    });
  }

  /** Returns false when nothing with that id is waiting for this run. */
  decide(runId: string, toolCallId: string, decision: "grant" | "deny", reason: string | null): boolean {
    const p = this.pending.get(toolCallId);
    if (!p || p.run_id !== runId) return false;
    this.settle(toolCallId, { decision, reason });
    return true;
  }

  /** How an earlier gate of this run ended, or null when this instance never settled it. */
  outcomeOf(runId: string, toolCallId: string): ApprovalOutcome["decision"] | null {
    const s = this.settled.get(toolCallId);
    return s && s.run_id === runId ? s.decision : null;
  }

  cancelRun(runId: string): void {
    for (const [id, p] of this.pending) if (p.run_id === runId) this.settle(id, { decision: "cancelled", reason: "run cancelled" });
  }

  pendingFor(runId: string): { tool_call_id: string; tool_name: string; tool_input: JsonObject }[] {
    return [...this.pending.entries()]
      .filter(([, p]) => p.run_id === runId)
      .map(([tool_call_id, p]) => ({ tool_call_id, tool_name: p.tool_name, tool_input: p.tool_input }));
  }

  private settle(toolCallId: string, outcome: ApprovalOutcome): void {
    const p = this.pending.get(toolCallId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(toolCallId);
    this.settled.set(toolCallId, { run_id: p.run_id, decision: outcome.decision });
    if (this.settled.size > REMEMBERED_OUTCOMES) this.settled.delete(this.settled.keys().next().value!);
    p.resolve(outcome);
  }
}

import type { JsonObject } from "../core/json";

export type ApprovalOutcome = { decision: "grant" | "deny" | "expired" | "cancelled"; reason: string | null };

type Pending = { run_id: string; tool_name: string; tool_input: JsonObject; resolve: (o: ApprovalOutcome) => void; timer: ReturnType<typeof setTimeout> };

/**
 * Approval gates: a tool call that needs a person parks here until `decide` is called, the run is cancelled,
 * or it expires. The run's executor holds the only awaiter; the HTTP handler only decides.
 */
export class Approvals {
  private readonly pending = new Map<string, Pending>();

  request(runId: string, toolCallId: string, toolName: string, toolInput: JsonObject, timeoutMs: number): Promise<ApprovalOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(toolCallId, { decision: "expired", reason: `No decision within ${timeoutMs} ms` }), timeoutMs);
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

  cancelRun(runId: string): void {
    for (const [id, p] of this.pending) if (p.run_id === runId) this.settle(id, { decision: "cancelled", reason: "run cancelled" });
  }

  pendingFor(runId: string): { tool_call_id: string; tool_name: string; tool_input: JsonObject }[] {
    return [...this.pending.entries()].filter(([, p]) => p.run_id === runId)
      .map(([tool_call_id, p]) => ({ tool_call_id, tool_name: p.tool_name, tool_input: p.tool_input }));
  }

  private settle(toolCallId: string, outcome: ApprovalOutcome): void {
    const p = this.pending.get(toolCallId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(toolCallId);
    p.resolve(outcome);
  }
}

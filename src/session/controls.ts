import { AppError } from "../core/errors";
import type { Event } from "../core/event";
import type { JsonObject } from "../core/json";
import type { Run } from "../core/run";
import type { PolicySummary } from "../core/policy";
import type { Multitask, DrainResponse, PendingApproval } from "../core/run-controls";
import type { SubmitRunBody } from "../core/run-submit";
import { SnapshotSchema } from "../core/sandbox-protocol";
import type { AdapterEvent } from "../core/adapter-event";
import type { SandboxClient } from "../sandbox/client";
import type { KeyValue } from "./kv";
import type { EventLog } from "./log";
import type { RunRecords } from "./run-records";
import type { RunManager } from "./runs";

const ROLLED_BACK_KEY = "rolled_back_runs";

/**
 * Runs written into a fresh object (an import or a fork) that were rolled back where they came from: transcripts
 * leave them out here too.
 */
export function markRolledBack(kv: KeyValue, runs: readonly Run[]): void {
  const ids = runs.filter((r) => r.metadata.rolled_back === true).map((r) => r.id);
  if (ids.length) kv.put(ROLLED_BACK_KEY, [...new Set([...(kv.get<string[]>(ROLLED_BACK_KEY) ?? []), ...ids])]);
}
const ACTIVE = ["queued", "running", "awaiting_approval"] as const;

export type ControlsDeps = {
  manager: () => RunManager;
  records: RunRecords;
  kv: KeyValue;
  log: EventLog;
  emit: (run: Run, e: AdapterEvent) => Event;
  sandbox: () => SandboxClient;
  /** The transcript cache must forget what it built from a run that is now left out. */
  transcriptsChanged: () => void;
};

/**
 * Session-wide run controls over the run queue: multitask strategies at submission, cancel-all, drain, and the
 * rolled-back runs that transcripts leave out. The queue itself (slots, FIFO, pause) stays in runs.ts.
 */
export class RunControls {
  /** Drains in progress; while any is, submissions are refused (in memory: a restart also ends the drain call). */
  private drains = 0;

  constructor(private readonly d: ControlsDeps) {}

  get draining(): boolean {
    return this.drains > 0;
  }

  /** Runs whose events transcripts leave out (rolled back by a `rollback` submission). */
  rolledBack(): ReadonlySet<string> {
    return new Set(this.d.kv.get<string[]>(ROLLED_BACK_KEY) ?? []);
  }

  /** A run in flight's live policy summary; null when it has no policy or is not executing in this object. */
  policyOf(runId: string): PolicySummary | null {
    return this.d.manager().policyOf(runId);
  }

  /** Ids of the runs that hold the session: queued (FIFO order) and in flight. */
  active(): { queued: Run[]; inFlight: Run[] } {
    const runs = this.d.records.list({ status: ACTIVE, limit: 100_000 });
    return { queued: runs.filter((r) => r.status === "queued"), inFlight: runs.filter((r) => r.status !== "queued") };
  }

  /** A submission under its `multitask` strategy (see core/run-controls.ts); answers with the run as accepted. */
  async submit(body: SubmitRunBody & { multitask?: Multitask | undefined }, key: string | null, fingerprint: string | null): Promise<Run> {
    if (this.draining)
      throw new AppError("invalid_status", "The session is draining; it takes no new runs until the drain answers", { draining: true });
    const mode = body.multitask ?? "enqueue";
    // A repeated Idempotency-Key answers with its run whatever the session is doing now.
    const replay = key !== null && this.d.records.byIdempotencyKey(key) !== null;
    if (mode === "enqueue" || replay) return (await this.d.manager().submit(body, key, fingerprint)).run;
    const { queued, inFlight } = this.active();
    if (mode === "reject") {
      if (queued.length + inFlight.length === 0) return (await this.d.manager().submit(body, key, fingerprint)).run;
      throw new AppError("run_in_progress", "The session has a run queued or in progress (multitask: reject)", {
        in_flight: inFlight.map((r) => r.id),
        queued: queued.map((r) => r.id),
      });
    }
    if (mode === "rollback") this.assertRestorable(inFlight);
    // Victims end before this run is stored, so neither a queued run nor a half-rolled-back workspace precedes it.
    for (const run of queued) await this.d.manager().cancel(run.id, "interrupted");
    await Promise.all(
      inFlight.map(async (run) => {
        await this.d.manager().cancel(run.id, "interrupted");
        if (mode === "rollback") await this.rollBack(run.id);
      }),
    );
    return (await this.d.manager().submit(body, key, fingerprint)).run;
  }

  /** Cancels everything queued and running (`POST …/runs/cancel`). */
  cancelAll(reason = "cancelled by user"): Promise<string[]> {
    return this.d.manager().cancelAll(reason, true);
  }

  /** Refuses new runs until nothing is queued or in flight, or the timeout passes (then `drained: false`). */
  async drain(timeoutMs: number): Promise<DrainResponse> {
    this.drains++;
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { queued, inFlight } = this.active();
        if (queued.length + inFlight.length === 0) return { drained: true, in_flight: [], queued: [] };
        const left = deadline - Date.now();
        if (left <= 0) return { drained: false, in_flight: inFlight.map((r) => r.id), queued: queued.map((r) => r.id) };
        // The oldest unfinished run ends first in FIFO order; then look again.
        await this.d.manager().wait((inFlight[0] ?? queued[0])!.id, left);
      }
    } finally {
      this.drains--;
    }
  }

  /** Pending approvals of this session, from the log: requested on a run still awaiting approval, not yet decided. */
  pendingApprovals(sessionId: string): PendingApproval[] {
    const waiting = this.d.records.list({ status: ["awaiting_approval"], limit: 1000 });
    const out: PendingApproval[] = [];
    for (const run of waiting) {
      const events = this.d.log.read({
        after: 0,
        run_id: run.id,
        types: ["tool_approval_requested", "tool_approval_granted", "tool_approval_denied", "tool_approval_expired"],
        limit: 10_000,
      });
      const decided = new Set(events.filter((e) => e.type !== "tool_approval_requested").map((e) => String(e.data.tool_call_id)));
      for (const e of events) {
        if (e.type !== "tool_approval_requested" || decided.has(String(e.data.tool_call_id))) continue;
        out.push({
          session_id: sessionId,
          run_id: run.id,
          tool_call_id: String(e.data.tool_call_id),
          tool_name: String(e.data.tool_name ?? ""),
          tool_input: (e.data.tool_input as JsonObject | undefined) ?? {},
          policy_name: (e.data.policy_name as string | undefined) ?? null,
          requested_at: e.timestamp,
          sequence: e.sequence,
        });
      }
    }
    return out;
  }

  /** Rollback needs each running run to have asked for a workspace snapshot; otherwise refuse before cancelling anything. */
  private assertRestorable(inFlight: Run[]): void {
    for (const run of inFlight) {
      const request = this.d.kv.get<SubmitRunBody>(`run_request:${run.id}`);
      const ws = request?.workspace;
      if (!ws || ws.snapshot === false || ws.backend === "hash") {
        throw new AppError(
          "invalid_operation",
          `Run ${run.id} takes no git workspace snapshot, so its changes cannot be rolled back; submit with multitask "interrupt" instead`,
          {
            run_id: run.id,
            reason: "no_workspace_snapshot",
          },
        );
      }
    }
  }

  /**
   * Restores the run's `before` git snapshot (unless its own rollback_on_failure already did), marks it
   * `metadata.rolled_back` and leaves its events out of transcripts from now on.
   */
  private async rollBack(runId: string): Promise<void> {
    const run = this.d.records.get(runId);
    if (!run) return;
    const snapshots = this.d.log.read({ after: 0, run_id: runId, types: ["workspace_snapshot_taken"], limit: 100 });
    const before = snapshots.find((e) => e.data.label === "before");
    const parsed = before ? SnapshotSchema.safeParse(before.data) : null;
    let rollback: JsonObject;
    const workspace = run.metadata.workspace as { rolled_back?: boolean } | undefined;
    if (workspace?.rolled_back) {
      rollback = { workspace: "restored", by: "rollback_on_failure" };
    } else if (!parsed?.success || parsed.data.backend !== "git") {
      rollback = {
        workspace: "not_restorable",
        reason: before ? "the before snapshot is not a git snapshot" : "no before snapshot was taken",
      };
    } else {
      try {
        const result = await this.d.sandbox().rollback(parsed.data);
        rollback = { workspace: "restored", ref: parsed.data.ref, safety_ref: result.safety_snapshot.ref };
        this.d.emit(run, {
          type: "workspace_snapshot_taken",
          data: {
            label: "rolled_back",
            backend: "git",
            ref: parsed.data.ref,
            safety_ref: result.safety_snapshot.ref,
            removed: result.removed,
          },
        });
      } catch (err) {
        rollback = { workspace: "failed", reason: err instanceof Error ? err.message : String(err) };
      }
    }
    const current = this.d.records.get(runId) ?? run;
    this.d.records.put({ ...current, metadata: { ...current.metadata, rolled_back: true, rollback } });
    this.d.kv.put(ROLLED_BACK_KEY, [...this.rolledBack(), runId]);
    this.d.transcriptsChanged();
  }
}

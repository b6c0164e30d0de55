import type { SessionRuntimeStatus } from "../core/run-controls";
import type { IsolationInfo } from "../core/sandbox-protocol";
import type { Session } from "../core/session";
import type { RunControls } from "./controls";

/** `GET /v1/sessions/:id/status`: what the session's object is doing now, assembled from its parts. */
export async function runtimeStatus(d: {
  session: Session;
  controls: RunControls;
  latestSequence: number;
  flushedSequence: number;
  subscribers: { websockets: number; sse: number };
  longPolls: number;
  isolation: () => Promise<IsolationInfo | null>;
}): Promise<SessionRuntimeStatus> {
  const { session, controls } = d;
  const { queued, inFlight } = controls.active();
  const ended = ["completed", "failed", "cancelled"].includes(session.status);
  return {
    session_id: session.id,
    status: session.status,
    accepting_runs: !controls.draining && !ended && session.deleted_at === null,
    draining: controls.draining,
    in_flight: inFlight.map((r) => ({
      id: r.id,
      status: r.status,
      provider: r.provider,
      started_at: r.started_at,
      policy: controls.policyOf(r.id),
    })),
    queued: queued.map((r, i) => ({ id: r.id, provider: r.provider, queued_at: r.queued_at, position: i + 1 })),
    max_concurrent_runs: session.max_concurrent_runs,
    free_slots: Math.max(0, session.max_concurrent_runs - inFlight.length),
    max_queued_runs: session.max_queued_runs,
    latest_sequence: d.latestSequence,
    flushed_sequence: d.flushedSequence,
    subscribers: { ...d.subscribers, long_polls: d.longPolls },
    pending_approvals: controls.pendingApprovals(session.id),
    isolation: await d.isolation(),
  };
}

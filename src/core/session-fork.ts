import { z } from "zod";
import type { Event } from "./event";
import { RUN_TERMINAL_EVENT_TYPES } from "./event-types";
import { newId } from "./ids";
import { isTerminalRunStatus, type Run } from "./run";
import { SnapshotSchema, type Snapshot } from "./sandbox-protocol";
import { SessionSchema, type Session } from "./session";
import { addUsage, EMPTY_USAGE } from "./usage";

/**
 * Forking a session at a sequence (`POST /v1/sessions/:id/fork`): a new session holding a copy of events 1..N with
 * their sequences, the runs those events belong to, and (where the log names one) the workspace as its last git
 * snapshot at or before N left it.
 */

export const ForkBodySchema = z
  .strictObject({
    at_sequence: z.number().int().min(1).describe("The last sequence the fork keeps (1..the session's latest)"),
  })
  .meta({ id: "ForkSessionRequest" });

export const ForkWorkspaceSchema = z
  .object({
    status: z
      .enum(["restored", "none", "not_restorable"])
      .describe(
        "restored: the workspace is the git snapshot's state; none: no snapshot at or before at_sequence (the fork's workspace starts empty); " +
          "not_restorable: the last snapshot is a hash snapshot, which records hashes, not contents",
      ),
    snapshot_sequence: z.number().int().nullable().describe("The event that recorded the snapshot"),
    ref: z.string().nullable(),
    path: z.string().nullable(),
  })
  .meta({ id: "ForkWorkspace" });
export type ForkWorkspace = z.infer<typeof ForkWorkspaceSchema>;

export const ForkResultSchema = z
  .object({
    session: SessionSchema,
    forked_from: z.object({ session_id: z.string(), at_sequence: z.number().int() }),
    run_ids: z.record(z.string(), z.string()).describe("Source run id → the fork's run id"),
    run_count: z.number().int(),
    event_count: z.number().int(),
    workspace: ForkWorkspaceSchema,
  })
  .meta({ id: "SessionForkResult" });
export type ForkResult = z.infer<typeof ForkResultSchema>;

/** The state of the workspace at `atSequence` as far as the log knows it: its last snapshot event at or before it. */
export type ForkSnapshot = { snapshot: Snapshot; sequence: number } | null;

/**
 * The last workspace snapshot among `events` (already cut at N). A `rolled_back` event restored an earlier snapshot
 * (it names only its ref), so it stands for that snapshot.
 */
export function lastSnapshot(events: readonly Event[]): ForkSnapshot {
  const byRef = new Map<string, Snapshot>();
  let last: ForkSnapshot = null;
  for (const e of events) {
    if (e.type !== "workspace_snapshot_taken") continue;
    const parsed = SnapshotSchema.safeParse(e.data);
    if (parsed.success) {
      byRef.set(parsed.data.ref, parsed.data);
      last = { snapshot: parsed.data, sequence: e.sequence };
      continue;
    }
    const ref = typeof e.data.ref === "string" ? e.data.ref : null;
    const restored = e.data.label === "rolled_back" && ref ? byRef.get(ref) : undefined;
    if (restored) last = { snapshot: restored, sequence: e.sequence };
  }
  return last;
}

export type ForkPlan = { session: Session; runs: Run[]; events: Event[]; runIds: Record<string, string> };

/**
 * The fork's records: events 1..N under the new session (run ids rewritten, sequences and event ids kept), the runs
 * they reference under new ids (run ids are global), and the session. A run whose end is not among the copied events
 * had not ended at N: in the fork it is cancelled, without output or usage. The fork starts `active`, whatever the
 * source's status, and its totals are its runs'.
 */
export function planFork(args: {
  source: Session;
  runs: readonly Run[];
  events: readonly Event[];
  atSequence: number;
  tenantId: string;
  now: string;
  workspace: ForkWorkspace;
}): ForkPlan {
  const { source, atSequence, now } = args;
  const sessionId = newId("ses");
  const events = args.events.filter((e) => e.sequence <= atSequence);
  const referenced = new Set(events.flatMap((e) => (e.run_id ? [e.run_id] : [])));
  const ended = new Set(
    events.flatMap((e) => ((RUN_TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type) && e.run_id ? [e.run_id] : [])),
  );
  const cutAt = events[events.length - 1]?.timestamp ?? now;
  const runIds: Record<string, string> = {};
  const runs: Run[] = [];
  for (const run of args.runs) {
    if (!referenced.has(run.id)) continue;
    const id = newId("run");
    runIds[run.id] = id;
    const base: Run = { ...run, id, session_id: sessionId, idempotency_key: null };
    runs.push(
      ended.has(run.id) && isTerminalRunStatus(run.status)
        ? base
        : {
            ...base,
            status: "cancelled",
            output: null,
            token_usage: { ...EMPTY_USAGE },
            cost_usd: null,
            ended_at: cutAt,
            error: { code: "cancelled", message: `The run had not ended at sequence ${atSequence}, where its session was forked` },
          },
    );
  }
  const copied: Event[] = events.map((e) => ({
    ...e,
    session_id: sessionId,
    run_id: e.run_id === null ? null : (runIds[e.run_id] ?? e.run_id),
  }));
  const costs = runs.map((r) => r.cost_usd).filter((c): c is number => c !== null);
  const session: Session = {
    ...source,
    id: sessionId,
    tenant_id: args.tenantId,
    status: "active",
    deleted_at: null,
    created_at: now,
    updated_at: now,
    metadata: { ...source.metadata, forked_from: { session_id: source.id, at_sequence: atSequence, workspace: args.workspace.status } },
    token_usage: runs.reduce((sum, r) => addUsage(sum, r.token_usage), { ...EMPTY_USAGE }),
    cost_usd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
    last_sequence: atSequence,
  };
  return { session, runs, events: copied, runIds };
}

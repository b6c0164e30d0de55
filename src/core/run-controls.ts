import { z } from "zod";
import { PolicySummarySchema } from "./policy/runtime";
import { RunSchema } from "./run";
import { IsolationInfoSchema } from "./sandbox-protocol";

/**
 * What a submission does when the session already has work (LangGraph's `multitask_strategy`):
 * - `enqueue` (default): FIFO behind what is queued and running.
 * - `reject`: 409 `run_in_progress` when any run is queued, running or awaiting approval; nothing is stored.
 * - `interrupt`: queued runs and running runs are cancelled with reason `interrupted` (their events stay in the log
 *   and the transcript), then this run starts as soon as the slots are free.
 * - `rollback`: as `interrupt`, and each interrupted run that had started is rolled back: its workspace returns to its
 *   `before` git snapshot when it has one, `metadata.rolled_back` is set, and its events are left out of transcripts.
 */
export const MultitaskSchema = z.enum(["enqueue", "reject", "interrupt", "rollback"]).meta({ id: "Multitask" });
export type Multitask = z.infer<typeof MultitaskSchema>;

export const CancelAllResponseSchema = z
  .object({
    cancelled: z.array(z.string()).describe("Ids of the runs that were queued or running and are now cancelled"),
  })
  .meta({ id: "CancelAllResponse" });

export const DrainBodySchema = z
  .object({
    timeout_ms: z.number().int().min(0).max(300_000).default(30_000),
  })
  .meta({ id: "DrainRequest" });
export type DrainBody = z.infer<typeof DrainBodySchema>;

export const DrainResponseSchema = z
  .object({
    drained: z.boolean(),
    in_flight: z.array(z.string()),
    queued: z.array(z.string()),
  })
  .meta({ id: "DrainResponse" });
export type DrainResponse = z.infer<typeof DrainResponseSchema>;

export const PendingApprovalSchema = z
  .object({
    session_id: z.string(),
    run_id: z.string(),
    tool_call_id: z.string(),
    tool_name: z.string(),
    tool_input: z.record(z.string(), z.unknown()),
    policy_name: z.string().nullable(),
    requested_at: z.string().nullable(),
    sequence: z.number().int().nullable(),
  })
  .meta({ id: "PendingApproval" });
export type PendingApproval = z.infer<typeof PendingApprovalSchema>;

export const ApprovalsQuerySchema = z.strictObject({
  status: z.literal("pending").default("pending").describe("Only `pending` is listed: decided gates are in the event log"),
});

export const SessionRuntimeStatusSchema = z
  .object({
    session_id: z.string(),
    status: z.string(),
    accepting_runs: z.boolean().describe("False while draining or once the session is deleted or ended"),
    draining: z.boolean(),
    in_flight: z.array(
      RunSchema.pick({ id: true, status: true, provider: true, started_at: true }).extend({
        policy: PolicySummarySchema.nullable().describe(
          "The run's policy counters so far and its limits (budget left = limit − counter); null without a policy",
        ),
      }),
    ),
    queued: z.array(RunSchema.pick({ id: true, provider: true, queued_at: true }).extend({ position: z.number().int().min(1) })),
    max_concurrent_runs: z.number().int(),
    free_slots: z.number().int(),
    max_queued_runs: z.number().int(),
    latest_sequence: z.number().int(),
    flushed_sequence: z.number().int(),
    subscribers: z.object({ websockets: z.number().int(), sse: z.number().int(), long_polls: z.number().int() }),
    pending_approvals: z.array(PendingApprovalSchema),
    isolation: IsolationInfoSchema.nullable().describe("How the sandbox isolates this session's runs; null without a sandbox"),
  })
  .meta({ id: "SessionRuntimeStatus" });
export type SessionRuntimeStatus = z.infer<typeof SessionRuntimeStatusSchema>;

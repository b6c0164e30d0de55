import { AppError } from "./errors";
import type { EventInput } from "./event";
import { EVENT_TYPES } from "./event-types";
import { ID_PATTERNS } from "./ids";

/**
 * What a client may append (POST /v1/sessions/:id/events), so that the log never holds a client's event posing
 * as the service's:
 * - Session lifecycle events are the service's alone: a status change goes through PATCH /v1/sessions/:id,
 *   which emits them. A client's `session_completed` would claim a change that never happened.
 * - A run the service owns (submitted through POST …/runs, id `run_` + 32 hex) is written by the service
 *   alone: lifecycle, messages, tools, usage, approvals, policy, workspace, all of it. The service's run id
 *   shape is reserved, so a client cannot borrow an id of a run in another session either.
 * - Everything else is allowed: any other canonical type without a run_id, or with a run id of the client's
 *   own (bring-your-own-agent). Such events are stored with `origin: "client"`.
 */
// Every canonical session_* type is a lifecycle event: one added later is the service's too (fail closed).
const SESSION_LIFECYCLE_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES.filter((t) => t.startsWith("session_")));

export function assertClientMayAppend(input: EventInput, index: number): void {
  if (SESSION_LIFECYCLE_TYPES.has(input.type)) {
    throw new AppError(
      "event_impersonation",
      `Event ${index}: '${input.type}' is written by the service; change the session's status with PATCH /v1/sessions/:id`,
      {
        index,
        type: input.type,
        reason: "session_lifecycle",
      },
    );
  }
  const runId = input.run_id;
  if (runId && ID_PATTERNS.run.test(runId)) {
    throw new AppError(
      "event_impersonation",
      `Event ${index}: run ${runId} is owned by the service; only the service appends events to it. Use a run id of your own (not run_ + 32 hex) for runs you drive`,
      {
        index,
        type: input.type,
        run_id: runId,
        reason: "service_run",
      },
    );
  }
}

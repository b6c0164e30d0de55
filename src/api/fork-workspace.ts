import { AppError } from "../core/errors";
import type { Snapshot } from "../core/sandbox-protocol";
import type { Env } from "../env";
import { sandboxConfigured, sandboxFor } from "../sandbox/resolve";

/**
 * A fork's workspace from the source session's git snapshot. Workspaces are named by session id, and both sessions
 * belong to the caller's tenant (the source was read through its tenant-named object, the fork is new).
 */
export async function restoreForkWorkspace(env: Env, sourceSessionId: string, forkSessionId: string, snapshot: Snapshot): Promise<void> {
  // Fail closed: a fork that claims a workspace it does not have would run against an empty one.
  if (!sandboxConfigured(env))
    throw new AppError("dependency_not_available", "The session has a workspace snapshot to restore but no sandbox is configured");
  await sandboxFor(env, forkSessionId).restoreFrom({ source_workspace: sourceSessionId, snapshot });
}

/** Best effort: the fork was not created, so its half-made workspace goes. */
export async function discardForkWorkspace(env: Env, forkSessionId: string): Promise<void> {
  await sandboxFor(env, forkSessionId)
    .deleteWorkspace()
    .catch(() => undefined);
}

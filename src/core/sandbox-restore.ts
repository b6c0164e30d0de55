import { z } from "zod";
import { SnapshotSchema, WORKSPACE_ID_PATTERN } from "./sandbox-protocol";

/**
 * `POST /workspace/restore-from` on the sandbox: materialises a git snapshot of another workspace (the source) into
 * this one (the target, named by the workspace header), as a session fork needs. The Worker checks that both belong
 * to the caller's tenant before it asks.
 */
export const RestoreFromRequestSchema = z.object({
  source_workspace: z.string().regex(WORKSPACE_ID_PATTERN, "source_workspace must match [A-Za-z0-9_-]{1,128}"),
  snapshot: SnapshotSchema,
});
export type RestoreFromRequest = z.infer<typeof RestoreFromRequestSchema>;

export const RestoreFromResponseSchema = z.object({
  restored_ref: z.string(),
  path: z.string(),
  head_ref: z.string().nullable(),
  head_branch: z.string().nullable(),
});
export type RestoreFromResponse = z.infer<typeof RestoreFromResponseSchema>;

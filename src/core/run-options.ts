import { z } from "zod";
import { NetworkPolicySchema, SandboxLimitsSchema } from "./sandbox-protocol";
import { WorkspacePathSchema } from "./workspace/path";

export const PERMISSION_MODES = ["default", "accept_edits", "plan", "full_auto", "dangerously_skip_permissions"] as const;
export const PermissionModeSchema = z.enum(PERMISSION_MODES);
export type PermissionMode = z.infer<typeof PermissionModeSchema>;

/** Normalized run options, the same for every provider. Provider-specific keys ride in `sdk_opts`. */
export const RunOptionsSchema = z.object({
  model: z.string().min(1).max(128).optional(),
  system_prompt: z.string().max(200_000).optional(),
  max_turns: z.number().int().min(1).max(1000).nullable().optional(),
  permission_mode: PermissionModeSchema.optional(),
  timeout_ms: z.number().int().min(1).nullable().optional(),
  cwd: WorkspacePathSchema.optional(),
  env: z.record(z.string(), z.string()).optional(),
  sdk_opts: z.record(z.string(), z.unknown()).optional(),
  /** Shell only: command rules and accepted exit codes. */
  allowed_commands: z.array(z.string().min(1)).optional(),
  denied_commands: z.array(z.string().min(1)).optional(),
  success_exit_codes: z.array(z.number().int()).optional(),
  /** What the run's processes may reach (default: the sandbox's, `none` unless configured otherwise). */
  network: NetworkPolicySchema.optional(),
  /** Resource bounds for the run's processes, at most the sandbox's own. */
  sandbox_limits: SandboxLimitsSchema.optional(),
});
export type RunOptions = z.infer<typeof RunOptionsSchema>;

import { z } from "zod";
import { RunInputSchema } from "./run";
import { JsonObjectSchema } from "./json";
import { RunOptionsSchema } from "./run-options";
import { ContinuationModeSchema, ContinuationOptsSchema } from "./transcript";
import { PolicySchema } from "./policy/schema";
import { CapabilityRequirementSchema, RoutingPolicyOverrideSchema } from "./routing/policy";
import { workspaceRelative, WorkspacePathSchema } from "./workspace/path";
import { MultitaskSchema } from "./run-controls";

export const PROVIDER_NAMES = ["shell", "anthropic", "openai", "claude-code", "codex", "amp", "router"] as const;
export const ProviderNameSchema = z.enum(PROVIDER_NAMES);
export type ProviderName = z.infer<typeof ProviderNameSchema>;

/** Per-run workspace snapshot options (issue 5). */
export const WorkspaceOptionsSchema = z
  .object({
    path: WorkspacePathSchema.default("."),
    backend: z.enum(["git", "hash", "auto"]).default("auto"),
    snapshot: z.boolean().default(true),
    rollback_on_failure: z.boolean().default(false),
    capture_patch: z.boolean().default(true),
    ignore: z.object({ paths: z.array(z.string()).optional(), globs: z.array(z.string()).optional() }).optional(),
  })
  .meta({ id: "WorkspaceOptions" });

/** `POST /v1/sessions/:id/runs`. `policies` (stacked left to right) wins over `policy`. */
export const SubmitRunBodySchema = z
  .object({
    provider: ProviderNameSchema,
    input: RunInputSchema,
    options: RunOptionsSchema.optional(),
    policy: PolicySchema.optional(),
    policies: z.array(PolicySchema).max(16).optional(),
    continuation: ContinuationModeSchema.optional(),
    continuation_opts: ContinuationOptsSchema.optional(),
    workspace: WorkspaceOptionsSchema.optional(),
    /** For provider "router": the routing policy of this run, over the defaults. */
    routing: RoutingPolicyOverrideSchema.optional(),
    timeout_ms: z.number().int().min(1).nullable().optional(),
    approval_timeout_ms: z.number().int().min(1).optional(),
    on_approval_denied: z.enum(["continue", "fail"]).optional(),
    metadata: JsonObjectSchema.optional(),
    /** What to do when the session already has work: see core/run-controls.ts. */
    multitask: MultitaskSchema.optional(),
    /** Checked at submission for every provider (400 missing_required_capability); the router also routes by them. */
    required_capabilities: z.array(CapabilityRequirementSchema).max(32).optional(),
  })
  .superRefine((body, ctx) => {
    // A shell input's own cwd obeys the same rule as options.cwd and workspace.path.
    const input = body.input as unknown;
    const cwd = input && typeof input === "object" ? (input as { cwd?: unknown }).cwd : undefined;
    if (typeof cwd === "string" && workspaceRelative(cwd) === null) {
      ctx.addIssue({
        code: "custom",
        path: ["input", "cwd"],
        message: "must stay inside the session's workspace: a relative path, or an absolute one under /workspace",
      });
    }
  })
  .meta({ id: "SubmitRunRequest" });
export type SubmitRunBody = z.infer<typeof SubmitRunBodySchema>;
/** What a caller sends (defaults not yet filled): the client's and the workflow bridge's type. */
export type SubmitRunRequest = z.input<typeof SubmitRunBodySchema>;

export const ApprovalDecisionBodySchema = z
  .object({
    decision: z.enum(["grant", "deny"]),
    reason: z.string().max(2000).optional(),
  })
  .meta({ id: "ApprovalDecisionRequest" });
export type ApprovalDecisionBody = z.infer<typeof ApprovalDecisionBodySchema>;

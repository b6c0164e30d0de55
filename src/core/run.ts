import { z } from "zod";
import { JsonObjectSchema } from "./json";
import { TokenUsageSchema } from "./usage";

export const RUN_STATUSES = ["queued", "running", "awaiting_approval", "completed", "failed", "cancelled", "timeout"] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES).meta({ id: "RunStatus" });
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["completed", "failed", "cancelled", "timeout"];
export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

export const ProviderErrorSchema = z
  .object({
    provider: z.string(),
    kind: z.string(),
    message: z.string(),
    exit_code: z.number().int().nullable(),
    stderr: z.string().nullable(),
    truncated: z.boolean(),
    details: JsonObjectSchema.optional(),
  })
  .meta({ id: "ProviderError" });
export type ProviderError = z.infer<typeof ProviderErrorSchema>;

export const RunErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    details: JsonObjectSchema.optional(),
    provider_error: ProviderErrorSchema.nullable().optional(),
    /** Whether submitting the same run again may succeed (the taxonomy's retryable codes, or the provider failure's kind). */
    retryable: z.boolean().optional(),
  })
  .meta({ id: "RunError" });
export type RunError = z.infer<typeof RunErrorSchema>;

export const MessageSchema = z.object({
  role: z.string().min(1).max(32),
  content: z.unknown(),
});

/** A run's input: a prompt, messages, or a provider-specific shape (shell `{command,args,cwd,env}`). */
export const RunInputSchema = z
  .union([
    z.string().min(1),
    z.object({ prompt: z.string().min(1) }).loose(),
    z.object({ messages: z.array(MessageSchema).min(1) }).loose(),
    z.object({ command: z.string().min(1) }).loose(),
  ])
  .meta({ id: "RunInput" });
export type RunInput = z.infer<typeof RunInputSchema>;

export const RunSchema = z
  .object({
    id: z.string(),
    session_id: z.string(),
    status: RunStatusSchema,
    provider: z.string(),
    model: z.string().nullable(),
    input: z.unknown().describe("The input as submitted (see RunInput)"),
    output: JsonObjectSchema.nullable(),
    error: RunErrorSchema.nullable(),
    token_usage: TokenUsageSchema,
    cost_usd: z.number().nullable(),
    turn_count: z.number().int().min(0),
    metadata: JsonObjectSchema,
    idempotency_key: z.string().nullable(),
    queued_at: z.string(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
  })
  .meta({ id: "Run" });
export type Run = z.infer<typeof RunSchema>;

import { z } from "zod";
import { NetworkPolicySchema, SandboxLimitsSchema } from "../core/sandbox-protocol";
import { WorkspacePathSchema } from "../core/workspace/path";
import type { EventType } from "../core/event-types";
import type { JsonObject } from "../core/json";
import type { Run } from "../core/run";
import type { Session } from "../core/session";
import type { TokenUsage } from "../core/usage";

/**
 * The ProviderAdapter port (DESIGN §6). Adapters turn one run into canonical events through `emit`; they never
 * touch storage. Cancellation is the AbortSignal. Failures are thrown as `ProviderFailure` (see ./errors.ts).
 */

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

/** Hints the policy compiler derives for adapters that can enforce them at the source (SEED §4.4). */
export type ProviderHints = { allowed_tools?: string[]; denied_tools?: string[]; max_tokens?: number };

/**
 * An event as an adapter produces it; the DO adds id, sequence, session, run, provider and timestamp.
 * `token_usage_updated` data carries running totals for the whole run (not per-turn deltas).
 */
export type AdapterEvent = {
  type: EventType;
  data?: JsonObject;
  metadata?: JsonObject;
  timestamp?: string;
};

export type Emit = (event: AdapterEvent) => Promise<void>;

/** A chat message of the session transcript (SEED §6), used for replay continuation. */
export type TranscriptMessage = {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_call_id?: string | null;
  tool_name?: string | null;
  tool_input?: JsonObject | null;
  tool_output?: unknown;
};

/** What a tool call asks for, before it runs. */
export type ToolCallRequest = { tool_call_id: string; tool_name: string; tool_input: JsonObject };

/**
 * The policy runtime's verdict on a tool call. `approve` may wait for a person (approval gates): the promise
 * resolves when they decide or the approval expires.
 */
export type ToolDecision = { allowed: true } | { allowed: false; reason: string; end_run: boolean };

/** The sandbox operations providers use (implemented by src/sandbox/client.ts over HTTP); shapes from the wire schemas. */
export type { ExecChunk, ExecRequest, ExecResult, FileEntry } from "../core/sandbox-protocol";
import type { ExecChunk, ExecRequest, ExecResult, FileEntry } from "../core/sandbox-protocol";

export interface SandboxPort {
  exec(req: ExecRequest, signal?: AbortSignal): Promise<ExecResult>;
  /** Streams output chunks as they arrive; resolves with the final result (stdout/stderr also accumulated). */
  execStream(req: ExecRequest, onChunk: (chunk: ExecChunk) => void, signal?: AbortSignal): Promise<ExecResult>;
  kill(id: string): Promise<void>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
  listFiles(path: string, opts?: { recursive?: boolean }): Promise<FileEntry[]>;
}

/** Everything an adapter gets for one run. */
export type ExecutionContext = {
  session: Session;
  run: Run;
  /** The run input as submitted (string, {prompt}, {messages}, or provider-specific). */
  input: unknown;
  options: RunOptions;
  hints: ProviderHints;
  /** Replay continuation: prior messages of the session, oldest first; null when continuation is off. */
  transcript: TranscriptMessage[] | null;
  /** Native continuation handle from session.metadata.provider_sessions[provider], when one is used. */
  native_handle: { provider_session_id: string; model: string | null } | null;
  sandbox: SandboxPort;
  /** Must be awaited before a tool runs: allow/deny rules, approval gates, budgets. */
  authorizeTool: (call: ToolCallRequest) => Promise<ToolDecision>;
  /** Provider configuration from Env bindings (api keys, base urls). */
  env: Record<string, unknown>;
  /** Current wall clock; injectable for tests. */
  now: () => number;
};

export type RunResult = {
  output: { content: string } & JsonObject;
  stop_reason: string;
  token_usage: TokenUsage;
  turn_count: number;
  model: string | null;
  /** A cost the provider reported itself; wins over our calculation when > 0. */
  reported_cost_usd?: number | null;
  /** The provider's own continuation handle, stored on the session for native continuation. */
  provider_session?: { provider_session_id: string; model: string | null } | null;
};

export type CapabilityType = "tool" | "resource" | "prompt" | "sampling" | "file_access" | "network_access" | "code_execution";
export type Capability = { type: CapabilityType; name: string };

export type ProviderCapabilities = {
  streaming: boolean;
  tools: boolean;
  native_continuation: boolean;
  /** Which policy hints the adapter enforces at the source. */
  hints: (keyof ProviderHints)[];
  capabilities: Capability[];
};

export interface ProviderAdapter {
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  execute(ctx: ExecutionContext, emit: Emit, signal: AbortSignal): Promise<RunResult>;
}

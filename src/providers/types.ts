import type { AdapterEvent } from "../core/adapter-event";
import type { JsonObject } from "../core/json";
import type { Run } from "../core/run";
import type { RunOptions } from "../core/run-options";
import type { SandboxPort } from "../core/sandbox-port";
import type { Session } from "../core/session";
import type { ToolCallRequest, ToolDecision } from "../core/tool-decision";
import type { TranscriptMessage } from "../core/transcript";
import type { TokenUsage } from "../core/usage";

/**
 * The ProviderAdapter port. Adapters turn one run into canonical events through `emit`; they never touch storage.
 * Cancellation is the AbortSignal. Failures are thrown as `ProviderFailure` (see ./errors.ts). The domain shapes
 * they exchange (run options, adapter events, transcript messages, tool decisions, the sandbox port) live in core/.
 */

/** The sandbox wire shapes and port, re-exported for the sandbox server and client, which import them from here. */
export type { ExecChunk, ExecRequest, ExecResult, FileEntry } from "../core/sandbox-protocol";
export type { SandboxPort } from "../core/sandbox-port";

/** Hints the policy compiler derives for adapters that can enforce them at the source. */
export type ProviderHints = { allowed_tools?: string[]; denied_tools?: string[]; max_tokens?: number };

export type Emit = (event: AdapterEvent) => Promise<void>;

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

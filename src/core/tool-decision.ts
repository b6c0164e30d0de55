import type { JsonObject } from "./json";

/** What a tool call asks for, before it runs. */
export type ToolCallRequest = { tool_call_id: string; tool_name: string; tool_input: JsonObject };

/**
 * The policy runtime's verdict on a tool call. `approve` may wait for a person (approval gates): the promise
 * resolves when they decide or the approval expires.
 */
export type ToolDecision = { allowed: true } | { allowed: false; reason: string; end_run: boolean };

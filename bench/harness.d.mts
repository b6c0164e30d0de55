// Types for the benchmark harness (plain ESM, also used by end-to-end tests).
export const root: string;
export function freePort(): Promise<number>;
export function startStack(opts?: {
  apiKey?: string;
  quiet?: boolean;
  vars?: Record<string, string>;
  peer?: boolean;
}): Promise<{ url: string; peerUrl?: string; apiKey: string; stop(): Promise<void> }>;
export function percentile(sorted: number[], p: number): number;
export function stats(samples: number[]): { n: number; p50: number; p99: number; mean: number };
export function api(stack: { url: string; apiKey: string }, path: string, init?: RequestInit): Promise<any>; // JSON of any route
export function createSession(stack: { url: string; apiKey: string }, extra?: Record<string, unknown>): Promise<{ id: string }>;
export function table(rows: Record<string, unknown>[]): string;
export function openSessionSocket(
  stack: { url: string; apiKey: string },
  sessionId: string,
  from?: number,
  onEvent?: (event: { sequence: number }) => void,
): Promise<import("ws").WebSocket>;

import type { WebhookEgress } from "./webhook-target";

/**
 * Every tunable in one place. Values come from `wrangler.toml [vars]` / secrets (strings) and fall back
 * to these defaults; nothing else in the code base carries its own literal for them.
 */
export const DEFAULTS = {
  maxBodyBytes: 1_048_576,
  maxEventDataBytes: 262_144,
  /** Deepest JSON nesting a request body may have (objects and arrays); deeper is 400 validation_error. */
  maxJsonDepth: 64,
  defaultEventPageLimit: 100,
  maxEventPageLimit: 1000,
  maxLongPollMs: 60_000,
  sseHeartbeatMs: 15_000,
  /** How long a stream token (POST /v1/sessions/:id/stream-token) is accepted for SSE and WebSocket. */
  streamTokenTtlMs: 600_000,
  /**
   * How long appends must pause before the D1 flush runs. Session reads go through the DO and never see this lag; it
   * batches D1 writes (one session-row update per flush) and lets the copy run in the gaps between bursts.
   */
  flushDelayMs: 250,
  /** However steadily appends keep coming, D1 is at most this far behind the first event it does not have. */
  flushMaxLagMs: 2_000,
  /**
   * Events per D1 batch (one D1 transaction); the flush yields between batches. Locally D1 runs on the thread that
   * serves the session, and a 400-event batch held it 15–27 ms; in production a shorter transaction holds the
   * database, which every session of every tenant shares, for less time.
   */
  flushBatchSize: 100,
  flushBackoffBaseMs: 200,
  flushBackoffMaxMs: 30_000,
  wsReplayPageSize: 500,
  subscriberMaxQueued: 5_000,
  subscriberStallMs: 10_000,
  maxConcurrentRuns: 1,
  maxQueuedRuns: 100,
  defaultRunTimeoutMs: 600_000,
  maxRunTimeoutMs: 604_800_000,
  approvalTimeoutMs: 3_600_000,
  errorTextMaxLines: 200,
  errorTextMaxBytes: 16_384,
  sandboxMaxOutputBytes: 1_048_576,
  shellTimeoutMs: 30_000,
  inlinePatchMaxBytes: 65_536,
  /** Tries in all for a call to the sandbox that failed on the link (connection refused or cut, 502/503/504). */
  sandboxRetryAttempts: 5,
  /** First wait between those tries; it doubles each time (capped at 2 s). */
  sandboxRetryBaseMs: 100,
  // Tenant quotas: the defaults for every tenant; TENANT_QUOTAS (JSON, src/core/quotas.ts) overrides them per tenant.
  tenantActiveSessions: 1_000,
  tenantConcurrentRuns: 50,
  tenantQueuedRuns: 1_000,
  tenantEventsPerSecond: 1_000,
  tenantWsSubscribersPerSession: 1_000,
  /** A tenant run slot not renewed for this long is given back (a session that crashed cannot hold it forever). */
  tenantLeaseMs: 60_000,
} as const;

export type Config = { -readonly [K in keyof typeof DEFAULTS]: number };

const ENV_NAMES: Record<keyof typeof DEFAULTS, string> = {
  maxBodyBytes: "MAX_BODY_BYTES",
  maxEventDataBytes: "MAX_EVENT_DATA_BYTES",
  maxJsonDepth: "MAX_JSON_DEPTH",
  defaultEventPageLimit: "DEFAULT_EVENT_PAGE_LIMIT",
  maxEventPageLimit: "MAX_EVENT_PAGE_LIMIT",
  maxLongPollMs: "MAX_LONG_POLL_MS",
  sseHeartbeatMs: "SSE_HEARTBEAT_MS",
  streamTokenTtlMs: "STREAM_TOKEN_TTL_MS",
  flushDelayMs: "FLUSH_DELAY_MS",
  flushMaxLagMs: "FLUSH_MAX_LAG_MS",
  flushBatchSize: "FLUSH_BATCH_SIZE",
  flushBackoffBaseMs: "FLUSH_BACKOFF_BASE_MS",
  flushBackoffMaxMs: "FLUSH_BACKOFF_MAX_MS",
  wsReplayPageSize: "WS_REPLAY_PAGE_SIZE",
  subscriberMaxQueued: "SUBSCRIBER_MAX_QUEUED",
  subscriberStallMs: "SUBSCRIBER_STALL_MS",
  maxConcurrentRuns: "MAX_CONCURRENT_RUNS",
  maxQueuedRuns: "MAX_QUEUED_RUNS",
  defaultRunTimeoutMs: "DEFAULT_RUN_TIMEOUT_MS",
  maxRunTimeoutMs: "MAX_RUN_TIMEOUT_MS",
  approvalTimeoutMs: "APPROVAL_TIMEOUT_MS",
  errorTextMaxLines: "ERROR_TEXT_MAX_LINES",
  errorTextMaxBytes: "ERROR_TEXT_MAX_BYTES",
  sandboxMaxOutputBytes: "SANDBOX_MAX_OUTPUT_BYTES",
  shellTimeoutMs: "SHELL_TIMEOUT_MS",
  inlinePatchMaxBytes: "INLINE_PATCH_MAX_BYTES",
  sandboxRetryAttempts: "SANDBOX_RETRY_ATTEMPTS",
  sandboxRetryBaseMs: "SANDBOX_RETRY_BASE_MS",
  tenantActiveSessions: "TENANT_ACTIVE_SESSIONS",
  tenantConcurrentRuns: "TENANT_CONCURRENT_RUNS",
  tenantQueuedRuns: "TENANT_QUEUED_RUNS",
  tenantEventsPerSecond: "TENANT_EVENTS_PER_SECOND",
  tenantWsSubscribersPerSession: "TENANT_WS_SUBSCRIBERS_PER_SESSION",
  tenantLeaseMs: "TENANT_LEASE_MS",
};

/** Builds the config from string bindings; a malformed value falls back to the default rather than crash. */
export function loadConfig(vars: Record<string, unknown>): Config {
  const config = { ...DEFAULTS } as Config;
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const raw = vars[ENV_NAMES[key]];
    if (raw === undefined || raw === null || raw === "") continue;
    const n = Number(raw);
    if (Number.isFinite(n) && n >= 0) config[key] = n;
  }
  return config;
}

/** Parses `API_KEYS` ("key=tenant,key2=tenant2") into a map. */
export function parseApiKeys(raw: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of (raw ?? "").split(",")) {
    const idx = pair.indexOf("=");
    if (idx <= 0) continue;
    const key = pair.slice(0, idx).trim();
    const tenant = pair.slice(idx + 1).trim();
    if (key && tenant) keys.set(key, tenant);
  }
  return keys;
}

/**
 * Origins a browser may call the API from (CORS), from CORS_ALLOWED_ORIGINS: comma-separated exact origins
 * (`https://dash.example.com`). None by default: cross-origin browser calls stay closed until a deployment opts in.
 */
export function corsAllowedOrigins(vars: Record<string, unknown>): string[] {
  return String(vars.CORS_ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
}

/**
 * Webhook egress settings. `WEBHOOK_ALLOW_LOOPBACK=1` is for development and tests only: it lets webhooks target
 * loopback (127.0.0.0/8, ::1, localhost), over plain http too. Off unless set, so a deployment is closed by default.
 */
export function webhookEgress(vars: Record<string, unknown>): WebhookEgress {
  const raw = String(vars.WEBHOOK_ALLOW_LOOPBACK ?? "")
    .trim()
    .toLowerCase();
  return { allowLoopback: raw === "1" || raw === "true" };
}

import { z } from "zod";
import { loadConfig } from "./config";
import { AppError } from "./errors";

/**
 * Tenant quotas. Every tenant gets the defaults (src/core/config.ts, each overridable by its own variable);
 * `TENANT_QUOTAS` (JSON) overrides them per tenant: `{"*": {...}, "<tenant id>": {...}}`, where `*` applies to every
 * tenant and a tenant's own entry wins over it. A malformed TENANT_QUOTAS fails closed: nothing a quota guards is
 * allowed until it is fixed, and the refusal says why.
 */

export const QUOTA_NAMES = [
  "active_sessions",
  "concurrent_runs",
  "queued_runs",
  "events_per_second",
  "ws_subscribers_per_session",
] as const;
export const QuotaNameSchema = z.enum(QUOTA_NAMES);
export type QuotaName = z.infer<typeof QuotaNameSchema>;

const Limit = z.number().int().min(0).max(1_000_000_000);
export const TenantQuotasSchema = z
  .object({
    /** Sessions not ended (completed, failed, cancelled) and not deleted. */
    active_sessions: Limit,
    /** Runs executing at once across all the tenant's sessions; a run over it waits, queued, for a slot. */
    concurrent_runs: Limit,
    /** Runs waiting to start across all the tenant's sessions. */
    queued_runs: Limit,
    /** Events appended by clients (POST …/events), as a token bucket holding one second's worth. */
    events_per_second: Limit,
    /** Open WebSocket subscribers on any one session. */
    ws_subscribers_per_session: Limit,
  })
  .strict();
export type TenantQuotas = z.infer<typeof TenantQuotasSchema>;

export const TenantQuotaOverridesSchema = z.record(z.string().min(1).max(256), TenantQuotasSchema.partial().strict());
export type TenantQuotaOverrides = z.infer<typeof TenantQuotaOverridesSchema>;

/** Parsed once per distinct TENANT_QUOTAS text (per isolate); an error is kept so every check can report it. */
let cached: { raw: string; parsed: TenantQuotaOverrides | AppError } | null = null;

function overrides(raw: unknown): TenantQuotaOverrides {
  const text = typeof raw === "string" ? raw.trim() : "";
  if (cached?.raw !== text) cached = { raw: text, parsed: parseOverrides(text) };
  if (cached.parsed instanceof AppError) throw cached.parsed;
  return cached.parsed;
}

function parseOverrides(text: string): TenantQuotaOverrides | AppError {
  if (text === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return misconfigured(`it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = TenantQuotaOverridesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return misconfigured(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

function misconfigured(reason: string): AppError {
  return new AppError("internal_error", `Tenant quotas cannot be checked: TENANT_QUOTAS is invalid: ${reason}`, {
    setting: "TENANT_QUOTAS",
  });
}

/** The quotas of `tenantId` under this deployment's variables; throws (fail closed) when TENANT_QUOTAS is invalid. */
export function quotasFor(vars: Record<string, unknown>, tenantId: string): TenantQuotas {
  const config = loadConfig(vars);
  const byTenant = overrides(vars.TENANT_QUOTAS);
  return {
    active_sessions: config.tenantActiveSessions,
    concurrent_runs: config.tenantConcurrentRuns,
    queued_runs: config.tenantQueuedRuns,
    events_per_second: config.tenantEventsPerSecond,
    ws_subscribers_per_session: config.tenantWsSubscribersPerSession,
    ...byTenant["*"],
    ...byTenant[tenantId],
  };
}

/** What a refusal carries in `error.details`; the Worker turns it into Retry-After and RateLimit headers. */
export const QuotaDetailsSchema = z.object({
  quota: QuotaNameSchema,
  limit: z.number(),
  /** What is in use now (for events_per_second: the events the request asked for). */
  current: z.number(),
  remaining: z.number(),
  retry_after_ms: z.number().min(0),
  scope: z.enum(["tenant", "session"]),
  /** Rates only: the window the limit is counted over. */
  window_seconds: z.number().optional(),
});
export type QuotaDetails = z.infer<typeof QuotaDetailsSchema>;

const DESCRIPTIONS: Record<QuotaName, string> = {
  active_sessions: "active sessions",
  concurrent_runs: "concurrently running runs",
  queued_runs: "queued runs",
  events_per_second: "appended events per second",
  ws_subscribers_per_session: "WebSocket subscribers on one session",
};

/** A 429: `rate_limited` for the rate, `quota_exceeded` for counts; `details.quota` names which. */
export function quotaError(details: QuotaDetails, hint = ""): AppError {
  const code = details.quota === "events_per_second" ? "rate_limited" : "quota_exceeded";
  const message = `Tenant quota exceeded: ${DESCRIPTIONS[details.quota]} (limit ${details.limit}, ${details.scope === "session" ? "on this session" : "for this tenant"})`;
  return new AppError(code, hint ? `${message}; ${hint}` : message, { ...details });
}

/**
 * `Retry-After` plus the IETF draft's `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers,
 * structured-field lists): the policy is named after the quota, `q` its limit, `w` its window (rates only); `r` what
 * is left, `t` the seconds until it is worth trying again.
 */
export function quotaHeaders(details: QuotaDetails): Record<string, string> {
  const retryAfter = Math.max(1, Math.ceil(details.retry_after_ms / 1000));
  const window = details.window_seconds === undefined ? "" : `;w=${details.window_seconds}`;
  const remaining = Math.max(0, Math.floor(details.remaining));
  const headers: Record<string, string> = {
    "RateLimit-Policy": `"${details.quota}";q=${details.limit}${window}`,
    RateLimit: `"${details.quota}";r=${remaining}${remaining === 0 || details.retry_after_ms > 0 ? `;t=${retryAfter}` : ""}`,
  };
  if (details.retry_after_ms > 0) headers["Retry-After"] = String(retryAfter);
  return headers;
}

/** The headers of an AppError that is a quota refusal; null for any other error. */
export function quotaHeadersOf(err: unknown): Record<string, string> | null {
  if (!(err instanceof AppError) || (err.code !== "quota_exceeded" && err.code !== "rate_limited")) return null;
  const details = QuotaDetailsSchema.safeParse(err.details);
  return details.success ? quotaHeaders(details.data) : null;
}

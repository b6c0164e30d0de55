import type { SandboxContainer } from "./sandbox/container";
import type { SessionDO } from "./session/SessionDO";
import type { RoutingStateDO } from "./providers/RoutingStateDO";
import type { TenantDO } from "./tenants/TenantDO";

/** Bindings declared in wrangler.toml plus secrets. */
export interface Env {
  SESSIONS: DurableObjectNamespace<SessionDO>;
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  /** `key=tenant,key2=tenant2`: bearer API keys and the tenant each belongs to. */
  API_KEYS: string;
  /** The sandbox container binding (production); absent locally, where SANDBOX_URL is used. */
  SANDBOX?: DurableObjectNamespace<SandboxContainer>;
  /** Per-tenant routing state (circuit breakers, health, stickiness) shared by the tenant's sessions. */
  ROUTING?: DurableObjectNamespace<RoutingStateDO>;
  /** Per-tenant quota ledger (active sessions, run slots, appended-events rate); without it quotas fail closed. */
  TENANTS?: DurableObjectNamespace<TenantDO>;
  /** JSON: per-tenant quota overrides, `{"*": {...}, "<tenant>": {...}}` (src/core/quotas.ts). */
  TENANT_QUOTAS?: string;
  SANDBOX_URL?: string;
  /** Optional Cloudflare Queue that receives every event (fan-out sink). */
  EVENTS_QUEUE?: Queue;
  /** The example Workflow (src/workflows/example.ts). */
  AGENT_WORKFLOW?: Workflow;
  SANDBOX_TOKEN?: string;
  /** Optional Workers Analytics Engine dataset: one data point per finished run (src/core/telemetry.ts). */
  RUN_METRICS?: AnalyticsEngineDataset;
  /** `off` silences the per-transition telemetry log lines (on by default). */
  TELEMETRY_LOG?: string;
  [name: string]: unknown;
}

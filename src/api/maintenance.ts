import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { RetentionPolicySchema } from "../core/retention";
import { checkHealth } from "../store/health";
import { runRetention } from "../store/retention";
import { D1SessionStore } from "../store/session-store";
import { sessionStubFor } from "./session-stub";
import { BODY_ERRORS, errorResponses, jsonBody, jsonResponse, router } from "./openapi";

export const maintenanceApi = router();

const RetentionBody = z.object({ dry_run: z.boolean().default(true), policy: RetentionPolicySchema.partial().optional() });

maintenanceApi.openapi(
  createRoute({
    method: "post", path: "/maintenance/retention", tags: ["maintenance"], operationId: "applyRetention",
    summary: "Apply the retention policy to this tenant (dry_run, the default, only reports what would go)",
    request: jsonBody(RetentionBody),
    responses: { 200: jsonResponse(z.record(z.string(), z.unknown()).meta({ id: "RetentionReport" }), "The retention report"), ...errorResponses(...BODY_ERRORS) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const policy = RetentionPolicySchema.parse({ ...retentionDefaults(c.env), ...(body.policy ?? {}) });
    return c.json(await runRetention(c.env, policy, { tenantId: c.get("tenantId"), dryRun: body.dry_run }), 200);
  },
);

maintenanceApi.openapi(
  createRoute({
    method: "get", path: "/maintenance/health", tags: ["maintenance"], operationId: "checkHealth",
    summary: "Consistency report: sequence gaps, orphans, stuck sessions and runs, and D1 flush lag per session DO",
    request: { query: z.object({ stuck_after_hours: z.coerce.number().min(0).max(24 * 365).default(24), lag_sessions: z.coerce.number().int().min(0).max(200).default(50) }) },
    responses: { 200: jsonResponse(z.object({ healthy: z.boolean() }).loose().meta({ id: "HealthReport" }), "The health report"), ...errorResponses() },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const tenant = c.get("tenantId");
    const store = new D1SessionStore(c.env.DB);
    const report = await checkHealth(store.db, tenant, new Date(Date.now() - q.stuck_after_hours * 3_600_000).toISOString());
    // Flush lag lives in each session's DO: ask the most recently updated ones.
    const recent = (await store.listSessions(tenant, { limit: Math.max(1, q.lag_sessions) })).items.slice(0, q.lag_sessions);
    const flush_lag = await Promise.all(recent.map(async (s) => {
      const stats = await sessionStubFor(c.env, tenant, s.id).stats();
      return { session_id: s.id, last_sequence: stats.last_sequence, flushed_through: stats.flushed_through, lag_events: stats.lag_events, consecutive_failures: stats.consecutive_failures, last_error: stats.last_error };
    }));
    const healthy = report.gaps.length === 0 && report.orphaned_runs.length === 0 && report.orphaned_events.length === 0;
    return c.json({ healthy, ...report, flush_lag }, 200);
  },
);

/** The retention policy configured for the deployment (RETENTION_POLICY, JSON), over the built-in defaults. */
export function retentionDefaults(env: Record<string, unknown>): Record<string, unknown> {
  const raw = env.RETENTION_POLICY;
  if (typeof raw !== "string" || raw === "") return {};
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
}

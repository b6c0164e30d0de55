import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { RetentionPolicySchema } from "../core/retention";
import { tenantHealth } from "../operations/health";
import { retentionPolicy, runRetention } from "../operations/retention";
import { BODY_ERRORS, errorResponses, jsonBody, jsonResponse, router } from "./openapi";

export const maintenanceApi = router();

const RetentionBody = z.object({ dry_run: z.boolean().default(true), policy: RetentionPolicySchema.partial().optional() });

maintenanceApi.openapi(
  createRoute({
    method: "post",
    path: "/maintenance/retention",
    tags: ["maintenance"],
    operationId: "applyRetention",
    summary: "Apply the retention policy to this tenant (dry_run, the default, only reports what would go)",
    request: jsonBody(RetentionBody),
    responses: {
      200: jsonResponse(z.record(z.string(), z.unknown()).meta({ id: "RetentionReport" }), "The retention report"),
      ...errorResponses(...BODY_ERRORS),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const policy = retentionPolicy(c.env, body.policy);
    return c.json(await runRetention(c.env, policy, { tenantId: c.get("tenantId"), dryRun: body.dry_run }), 200);
  },
);

maintenanceApi.openapi(
  createRoute({
    method: "get",
    path: "/maintenance/health",
    tags: ["maintenance"],
    operationId: "checkHealth",
    summary: "Consistency report: sequence gaps, orphans, stuck sessions and runs, and D1 flush lag per session DO",
    request: {
      query: z.object({
        stuck_after_hours: z.coerce
          .number()
          .min(0)
          .max(24 * 365)
          .default(24),
        lag_sessions: z.coerce.number().int().min(0).max(200).default(50),
      }),
    },
    responses: {
      200: jsonResponse(z.object({ healthy: z.boolean() }).loose().meta({ id: "HealthReport" }), "The health report"),
      ...errorResponses(),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(await tenantHealth(c.env, c.get("tenantId"), { stuckAfterHours: q.stuck_after_hours, lagSessions: q.lag_sessions }), 200);
  },
);

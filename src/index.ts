import { createApp } from "./api/app";
import type { Env } from "./env";
import { retentionPolicy, runRetention } from "./operations/retention";

export { SessionDO } from "./session/SessionDO";
export { SandboxContainer } from "./sandbox/container";
export { RoutingStateDO } from "./providers/RoutingStateDO";
export { TenantDO } from "./tenants/TenantDO";
export { AgentPipelineWorkflow } from "./workflows/example";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  /**
   * Cron Trigger: retention for every tenant, with the deployment's policy. Awaited (not waitUntil), so the trigger's
   * outcome is retention's, and a failure is logged with its stack rather than surfacing as a bare "exception".
   */
  scheduled: async (_controller, env) => {
    try {
      const r = await runRetention(env, retentionPolicy(env), { tenantId: null, dryRun: false });
      console.log(
        "retention",
        JSON.stringify({
          ...r,
          sessions_soft_deleted: r.sessions_soft_deleted.length,
          sessions_hard_deleted: r.sessions_hard_deleted.length,
        }),
      );
    } catch (err) {
      console.error("retention failed", err instanceof Error ? err.stack : String(err));
      throw err;
    }
  },
} satisfies ExportedHandler<Env>;

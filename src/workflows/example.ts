import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import type { Env } from "../env";
import { completeWorkflowSession, runSessionStep, setupWorkflowSession } from "./bridge";

type Params = { tenant_id: string; command: string };

/**
 * An example Workflow: one session owned by the workflow, one shell step with Workflows' own retries,
 * and a completion. A step whose error is classified `abort` stops retrying at once.
 */
export class AgentPipelineWorkflow extends WorkflowEntrypoint<Env, Params> {
  override async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    const { tenant_id, command } = event.payload;
    // Step results must be serializable: keep only what later steps need.
    const session = await step.do("setup session", async () => ({
      id: (await setupWorkflowSession(this.env, tenant_id, { agent_id: "workflow-example" })).id,
    }));
    const result = await step.do("run command", { retries: { limit: 3, delay: "2 seconds", backoff: "exponential" } }, async () => {
      const r = await runSessionStep(
        this.env,
        tenant_id,
        session.id,
        { provider: "shell", input: command },
        { idempotencyKey: `${event.instanceId}:run` },
      );
      if (r.error?.action === "abort") throw new NonRetryableError(`${r.error.code}: ${r.error.message}`);
      if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
      return { content: String(r.content ?? ""), session_id: r.session_id, run_id: r.run_id };
    });
    await step.do("complete session", async () => ({
      status: (await completeWorkflowSession(this.env, tenant_id, session.id, "completed")).status,
    }));
    return result;
  }
}

import { createApp } from "./api/app";
import type { Env } from "./env";

export { SessionDO } from "./session/SessionDO";
export { SandboxContainer } from "./sandbox/container";
export { AgentPipelineWorkflow } from "./workflows/example";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;

import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ProviderRoutingSnapshot } from "../core/routing";
import { createAdapter, providerNames } from "../providers/registry";
import { routingStoreFor } from "../providers/routing-state";
import { IsolationInfoSchema } from "../core/sandbox-protocol";
import { sandboxIsolation } from "../sandbox/resolve";
import type { Env } from "../env";
import { errorResponses, jsonResponse, router } from "./openapi";

export const providersApi = router();

const ProviderInfoSchema = z
  .object({
    name: z.string(),
    capabilities: z.record(z.string(), z.unknown()),
    configured: z.boolean(),
    circuit: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: "ProviderInfo" });

/** Which secrets each provider needs before it can run. */
const REQUIRED_ENV: Record<string, string[]> = {
  anthropic: ["ANTHROPIC_API_KEY"],
  openai: ["OPENAI_API_KEY"],
  shell: [],
  "claude-code": [],
  codex: [],
  amp: [],
  router: [],
};

providersApi.openapi(
  createRoute({
    method: "get",
    path: "/providers",
    tags: ["providers"],
    operationId: "listProviders",
    summary: "Adapters, their capabilities, configuration and circuit state",
    responses: {
      200: jsonResponse(
        z.object({
          items: z.array(ProviderInfoSchema),
          next_cursor: z.null(),
          isolation: IsolationInfoSchema.nullable().describe(
            "How the sandbox contains runs; null when there is no sandbox or it does not answer",
          ),
        }),
        "Providers",
      ),
      ...errorResponses(),
    },
  }),
  async (c) => {
    const env = c.env;
    const circuits = await circuitStates(c.env, c.get("tenantId"));
    const items = providerNames().map((name) => {
      const adapter = createAdapter(name, { env, config: c.get("config") });
      const configured = (REQUIRED_ENV[name] ?? []).every((k) => typeof env[k] === "string" && env[k] !== "");
      return { name, capabilities: adapter.capabilities, configured, circuit: circuits[name] ?? null };
    });
    // The sandbox is per session in production; any workspace name reaches the same image.
    const isolation = await sandboxIsolation(c.env, "isolation-probe");
    return c.json({ items, next_cursor: null, isolation }, 200);
  },
);

/** Per-provider breaker state shared by the tenant's sessions (empty until the routing state exists). */
async function circuitStates(env: Pick<Env, "ROUTING">, tenantId: string): Promise<Record<string, ProviderRoutingSnapshot>> {
  if (!env.ROUTING) return {};
  return routingStoreFor(env.ROUTING, tenantId).snapshot();
}

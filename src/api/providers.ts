import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { createAdapter, providerNames } from "../providers/registry";
import { IsolationInfoSchema } from "../core/sandbox-protocol";
import { sandboxIsolation } from "../sandbox/resolve";
import { errorResponses, jsonResponse, router } from "./openapi";

export const providersApi = router();

const ProviderInfoSchema = z.object({
  name: z.string(),
  capabilities: z.record(z.string(), z.unknown()),
  configured: z.boolean(),
  circuit: z.record(z.string(), z.unknown()).nullable(),
}).meta({ id: "ProviderInfo" });

/** Which secrets each provider needs before it can run. */
const REQUIRED_ENV: Record<string, string[]> = {
  anthropic: ["ANTHROPIC_API_KEY"],
  openai: ["OPENAI_API_KEY"],
  shell: [], "claude-code": [], codex: [], amp: [], router: [],
};

providersApi.openapi(
  createRoute({
    method: "get", path: "/providers", tags: ["providers"], operationId: "listProviders", summary: "Adapters, their capabilities, configuration and circuit state",
    responses: {
      200: jsonResponse(z.object({
        items: z.array(ProviderInfoSchema),
        next_cursor: z.null(),
        isolation: IsolationInfoSchema.nullable().describe("How the sandbox contains runs; null when there is no sandbox or it does not answer"),
      }), "Providers"),
      ...errorResponses(),
    },
  }),
  async (c) => {
    const env = c.env as unknown as Record<string, unknown>;
    const circuits = await circuitStates(c.env, c.get("tenantId"));
    const items = providerNames().map((name) => {
      const adapter = createAdapter(name, { env, config: c.get("config") });
      const configured = (REQUIRED_ENV[name] ?? []).every((k) => typeof env[k] === "string" && env[k] !== "");
      return { name, capabilities: adapter.capabilities as unknown as Record<string, unknown>, configured, circuit: circuits[name] ?? null };
    });
    // The sandbox is per session in production; any workspace name reaches the same image.
    const isolation = await sandboxIsolation(c.env, "isolation-probe");
    return c.json({ items, next_cursor: null, isolation }, 200);
  },
);

/** Per-provider breaker state shared by the tenant's sessions (empty until the routing state exists). */
async function circuitStates(env: unknown, tenantId: string): Promise<Record<string, Record<string, unknown>>> {
  const ns = (env as { ROUTING?: DurableObjectNamespace }).ROUTING;
  if (!ns) return {};
  const stub = ns.get(ns.idFromName(tenantId)) as unknown as { snapshot(): Promise<Record<string, Record<string, unknown>>> };
  return stub.snapshot();
}

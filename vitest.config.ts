import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Two projects: `workers` runs inside workerd with real Durable Objects, D1 and R2 (the Worker under test);
 * `node` runs what is plain Node (the sandbox server, the client and CLI, pure core modules).
 */
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async (ctx) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                API_KEYS: "test_key_a=tenant_a,test_key_b=tenant_b",
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                SANDBOX_URL: ctx.inject<string>("sandboxUrl") ?? "",
                SANDBOX_TOKEN: ctx.inject<string>("sandboxToken") ?? "",
                WEBHOOK_SINK_URL: ctx.inject<string>("webhookSinkUrl") ?? "",
                FLUSH_DELAY_MS: "5",
                SUBSCRIBER_MAX_QUEUED: "200",
                SUBSCRIBER_STALL_MS: "300",
                SSE_HEARTBEAT_MS: "100",
                FLUSH_BACKOFF_BASE_MS: "20",
                FLUSH_BACKOFF_MAX_MS: "200",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["./test/workers/apply-migrations.ts"],
          globalSetup: ["./test/global-setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts", "test/core/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
        },
      },
    ],
  },
});

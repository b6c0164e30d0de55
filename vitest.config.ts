import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Projects: `workers` runs inside workerd with real Durable Objects, D1 and R2 (the Worker under test, the real
 * sandbox server behind it); `node` runs plain Node code (sandbox server, client and CLI, pure core, provider
 * adapters against fake APIs); `e2e` drives the dashboard in Debian's chromium against `wrangler dev`;
 * `soak` (not in `npm test`) is the long load run.
 */
const workersPool = () =>
  cloudflareTest(async (ctx) => ({
    // The production Worker with the session class that carries test hooks.
    main: "./test/workers/support/entry.ts",
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        // tq_* tenants (test/workers/quotas.test.ts) each have one tight quota; tenant_link runs 160 at once.
        API_KEYS:
          "test_key_a=tenant_a,test_key_b=tenant_b,test_key_qs=tq_sessions,test_key_qr=tq_runs,test_key_qq=tq_queue," +
          "test_key_qe=tq_events,test_key_qw=tq_ws,test_key_link=tenant_link,test_key_qsch=tq_schedules",
        TENANT_QUOTAS: JSON.stringify({
          // The suite's own tenants create thousands of sessions and events across all test files at once.
          tenant_a: { active_sessions: 1_000_000, events_per_second: 1_000_000, queued_runs: 100_000, concurrent_runs: 10_000 },
          tenant_b: { active_sessions: 1_000_000, events_per_second: 1_000_000, queued_runs: 100_000, concurrent_runs: 10_000 },
          tq_sessions: { active_sessions: 2 },
          tq_runs: { concurrent_runs: 1 },
          tq_queue: { concurrent_runs: 1, queued_runs: 2 },
          tq_events: { events_per_second: 10 },
          tq_ws: { ws_subscribers_per_session: 2 },
          tq_lease: { concurrent_runs: 1 },
          tenant_link: { concurrent_runs: 160 },
          // test/workers/schedules.test.ts: a scheduled firing refused by the queued-runs quota.
          tq_schedules: { queued_runs: 0 },
        }),
        TEST_MIGRATIONS: await readD1Migrations("./migrations"),
        SANDBOX_URL: ctx.inject<string>("sandboxUrl") ?? "",
        SANDBOX_TOKEN: ctx.inject<string>("sandboxToken") ?? "",
        WEBHOOK_SINK_URL: ctx.inject<string>("webhookSinkUrl") ?? "",
        // The webhook sink listens on 127.0.0.1; outside development loopback targets are refused.
        WEBHOOK_ALLOW_LOOPBACK: "1",
        FAKE_CLI_BIN: ctx.inject<string>("fakeCliBin") ?? "",
        // The real Anthropic SDK talks to a local fake that speaks the Messages streaming protocol.
        ANTHROPIC_BASE_URL: ctx.inject<string>("anthropicUrl") ?? "",
        ANTHROPIC_API_KEY: "sk-ant-test-fake-key",
        OPENAI_BASE_URL: ctx.inject<string>("openaiUrl") ?? "",
        OPENAI_API_KEY: "sk-test-fake-openai-key",
        FLUSH_DELAY_MS: "5",
        FLUSH_BACKOFF_BASE_MS: "20",
        FLUSH_BACKOFF_MAX_MS: "200",
        SUBSCRIBER_MAX_QUEUED: "200",
        SUBSCRIBER_STALL_MS: "300",
        SSE_HEARTBEAT_MS: "100",
        // Above the default (64) so the redaction tests can plant a secret in a client event 200 levels deep;
        // test/workers/honest-events.test.ts checks the limit against this value.
        MAX_JSON_DEPTH: "256",
        // One dashboard origin may call the API cross-origin (test/workers/http-conventions.test.ts).
        CORS_ALLOWED_ORIGINS: "https://dash.asm.test",
        // Every run logs its transitions as JSON lines; the suite's output leaves them out (telemetry.test.ts turns them on).
        TELEMETRY_LOG: "off",
      },
      // The run-metrics dataset, simulated locally (miniflare accepts points and keeps none; test/workers/telemetry.test.ts
      // swaps in a recording stand-in to read them back).
      analyticsEngineDatasets: { RUN_METRICS: { dataset: "asm_runs" } },
    },
  }));

const workersSetup = { setupFiles: ["./test/workers/apply-migrations.ts"], globalSetup: ["./test/global-setup.ts"] };

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [workersPool()],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          ...workersSetup,
          // Hang guards, not speed targets: on a busy 2-core machine (another suite beside this one) a test that
          // takes 3 s alone can take 20.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      { test: { name: "soak", include: ["test/soak/**/*.test.ts"], environment: "node", testTimeout: 900_000, hookTimeout: 120_000 } },
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts", "test/core/**/*.test.ts"],
          environment: "node",
          // Hang guards, as for workers above.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});

import { describe, expect, it, vi } from "vitest";
import type { Run } from "../../src/core/run";
import {
  formatTelemetry,
  routerAttemptRecord,
  telemetryLogFor,
  runMetricsPoint,
  runTransitionRecord,
  TelemetryRecordSchema,
  writeRunMetrics,
  type MetricsSink,
} from "../../src/core/telemetry";
import { runFixture } from "../support/run-fixture";

const AT = new Date("2026-03-01T12:00:10.000Z");

function run(over: Partial<Run> = {}): Run {
  return runFixture({
    id: "run_1",
    session_id: "ses_1",
    status: "queued",
    provider: "anthropic",
    model: "claude-x",
    queued_at: "2026-03-01T12:00:00.000Z",
    started_at: null,
    ...over,
  });
}

/** A stand-in for the Analytics Engine binding (a Cloudflare edge we do not own): it keeps what it is given. */
class RecordingDataset implements MetricsSink {
  readonly points: AnalyticsEngineDataPoint[] = [];
  writeDataPoint(point?: AnalyticsEngineDataPoint): void {
    if (point) this.points.push(point);
  }
}

describe("run transition records", () => {
  it("queued: no duration, no attempt", () => {
    expect(runTransitionRecord(run(), "tenant_a", AT)).toEqual({
      telemetry: "asm",
      event: "run_transition",
      at: "2026-03-01T12:00:10.000Z",
      tenant_id: "tenant_a",
      session_id: "ses_1",
      run_id: "run_1",
      provider: "anthropic",
      model: "claude-x",
      attempt: null,
      duration_ms: null,
      status: "queued",
      error_code: null,
    });
  });

  it("started: the time it spent queued", () => {
    const r = runTransitionRecord(run({ status: "running", started_at: "2026-03-01T12:00:01.500Z" }), "tenant_a", AT);
    expect(r).toMatchObject({ status: "started", duration_ms: 1500 });
  });

  it("an end: the time from start to end, the error code, and for a routed run the provider and attempt that served it", () => {
    const failed = runTransitionRecord(
      run({
        status: "failed",
        started_at: "2026-03-01T12:00:01.000Z",
        ended_at: "2026-03-01T12:00:04.250Z",
        error: { code: "provider_error", message: "boom" },
      }),
      "tenant_a",
      AT,
    );
    expect(failed).toMatchObject({ status: "failed", duration_ms: 3250, error_code: "provider_error" });
    const routed = runTransitionRecord(
      run({
        provider: "router",
        status: "completed",
        started_at: "2026-03-01T12:00:01.000Z",
        ended_at: "2026-03-01T12:00:02.000Z",
        metadata: { routing: { routed_provider: "openai", routing_attempt: 2 } },
      }),
      "tenant_a",
      AT,
    );
    expect(routed).toMatchObject({ provider: "openai", attempt: 2, duration_ms: 1000, status: "completed", error_code: null });
  });

  it("a run cancelled while queued counts from its queueing", () => {
    const r = runTransitionRecord(run({ status: "cancelled", ended_at: "2026-03-01T12:00:00.200Z" }), "tenant_a", AT);
    expect(r).toMatchObject({ status: "cancelled", duration_ms: 200 });
  });
});

describe("formatTelemetry", () => {
  it("is one line of JSON with the fields in a fixed order, valid against the schema", () => {
    const record = routerAttemptRecord(
      {
        tenant_id: "t",
        session_id: "s",
        run_id: "r",
        provider: "openai",
        model: null,
        attempt: 1,
        duration_ms: 12.6,
        status: "failed",
        error_code: "provider_error",
      },
      AT,
    );
    const line = formatTelemetry({ ...record });
    expect(line).not.toContain("\n");
    const parsed: unknown = JSON.parse(line);
    expect(TelemetryRecordSchema.parse(parsed)).toEqual(record);
    expect(Object.keys(parsed as object)).toEqual(Object.keys(TelemetryRecordSchema.shape));
    expect(record.duration_ms).toBe(13);
    // Key order does not depend on how the record was built.
    const shuffled = Object.fromEntries(Object.entries(record).reverse()) as typeof record;
    expect(formatTelemetry(shuffled)).toBe(line);
  });
});

describe("Analytics Engine data point", () => {
  const ended = run({
    provider: "router",
    status: "completed",
    started_at: "2026-03-01T12:00:01.000Z",
    ended_at: "2026-03-01T12:00:03.000Z",
    token_usage: { input: 120, output: 30, cache_read: 0, cache_creation: 0, total: 150 },
    cost_usd: 0.0042,
    metadata: { routing: { routed_provider: "anthropic", routing_attempt: 1 } },
  });

  it("blobs [provider, model, status, tenant], doubles [input, output, cost, duration], index [tenant]", () => {
    expect(runMetricsPoint(ended, "tenant_a")).toEqual({
      blobs: ["anthropic", "claude-x", "completed", "tenant_a"],
      doubles: [120, 30, 0.0042, 2000],
      indexes: ["tenant_a"],
    });
    expect(runMetricsPoint(run({ model: null, status: "cancelled", ended_at: "2026-03-01T12:00:00.000Z" }), "t").doubles).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it("is written when a dataset is bound, and nothing happens without one; a failing dataset does not throw", () => {
    const dataset = new RecordingDataset();
    expect(writeRunMetrics(dataset, ended, "tenant_a")).toBe(true);
    expect(dataset.points).toHaveLength(1);
    expect(writeRunMetrics(undefined, ended, "tenant_a")).toBe(false);
    const broken: MetricsSink = {
      writeDataPoint: () => {
        throw new Error("unavailable");
      },
    };
    expect(writeRunMetrics(broken, ended, "tenant_a")).toBe(false);
  });
});

describe("telemetryLogFor", () => {
  it("prints one line per record unless TELEMETRY_LOG is off, read at each record", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const env: { TELEMETRY_LOG?: string } = {};
      const log = telemetryLogFor(env);
      const record = runTransitionRecord(run(), "t", AT);
      log(record);
      env.TELEMETRY_LOG = "off";
      log(record);
      expect(spy.mock.calls).toEqual([[formatTelemetry(record)]]);
    } finally {
      spy.mockRestore();
    }
  });
});

import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Run } from "../../src/core/run";
import { TelemetryRecordSchema, type TelemetryRecord } from "../../src/core/telemetry";
import type { Env } from "../../src/env";
import type { SessionDO } from "../../src/session/SessionDO";
import { api, createSession, json } from "./helpers";

/**
 * Miniflare's local Analytics Engine dataset accepts points and keeps none, so nothing could be read back from it.
 * This stand-in for the binding (a Cloudflare edge we do not own) records what the session's object writes; it is
 * put on the object's own env, where the object reads RUN_METRICS at each run's end. (The objects of this test
 * file's isolate share one env, so a binding set through one session's object is seen by all of them.)
 */
class RecordingDataset {
  readonly points: AnalyticsEngineDataPoint[] = [];
  writeDataPoint(point?: AnalyticsEngineDataPoint): void {
    if (point) this.points.push(point);
  }
}

const stubFor = (sessionId: string) => env.SESSIONS.get(env.SESSIONS.idFromName(`tenant_a:${sessionId}`));

async function bindMetrics(sessionId: string, dataset: RecordingDataset | undefined, logLines = "on"): Promise<void> {
  await runInDurableObject(stubFor(sessionId), (instance: SessionDO) => {
    const own = (instance as unknown as { env: Env }).env;
    own.RUN_METRICS = dataset as unknown as AnalyticsEngineDataset | undefined;
    // The suite silences the log lines (TELEMETRY_LOG=off in vitest.config.ts); these tests read them.
    own.TELEMETRY_LOG = logLines;
  });
}

async function runToEnd(sessionId: string, input: string): Promise<Run> {
  const res = await api(`/v1/sessions/${sessionId}/runs?wait=true&timeout_ms=60000`, {
    method: "POST",
    json: { provider: "shell", input },
  });
  expect(res.status).toBe(200);
  return json<Run>(res);
}

/** The telemetry lines console.log received for one run. */
function linesFor(spy: { mock: { calls: unknown[][] } }, runId: string): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (const [first] of spy.mock.calls) {
    if (typeof first !== "string" || !first.startsWith("{")) continue;
    const parsed = TelemetryRecordSchema.safeParse(JSON.parse(first));
    if (parsed.success && parsed.data.run_id === runId) out.push(parsed.data);
  }
  return out;
}

/** The binding the suite runs with (miniflare's local dataset), put back after each test. */
const configured = (env as unknown as Env).RUN_METRICS;

afterEach(async () => {
  vi.restoreAllMocks();
  const s = await createSession();
  await bindMetrics(s.id, configured as unknown as RecordingDataset | undefined, "off");
});

describe("run telemetry through the real Worker", () => {
  it("logs queued, started and the end as JSON lines, and writes one data point to RUN_METRICS", async () => {
    const s = await createSession();
    const dataset = new RecordingDataset();
    await bindMetrics(s.id, dataset);
    const log = vi.spyOn(console, "log");
    const run = await runToEnd(s.id, "echo measured");
    expect(run.status).toBe("completed");
    const lines = linesFor(log, run.id);
    expect(lines.map((l) => l.status)).toEqual(["queued", "started", "completed"]);
    for (const l of lines) {
      expect(l).toMatchObject({
        telemetry: "asm",
        event: "run_transition",
        tenant_id: "tenant_a",
        session_id: s.id,
        provider: "shell",
        error_code: null,
      });
    }
    expect(lines[0]!.duration_ms).toBeNull();
    expect(lines[2]!.duration_ms).toBeGreaterThanOrEqual(0);
    // The point is written when the run settles, which is before the waiting answer.
    expect(dataset.points).toHaveLength(1);
    const point = dataset.points[0]!;
    expect(point.blobs).toEqual(["shell", "", "completed", "tenant_a"]);
    expect(point.indexes).toEqual(["tenant_a"]);
    expect(point.doubles?.slice(0, 3)).toEqual([run.token_usage.input, run.token_usage.output, run.cost_usd ?? 0]);
    expect(point.doubles?.[3]).toBe(lines[2]!.duration_ms);
  }, 90_000);

  it("a failed run's end carries its error code and status", async () => {
    const s = await createSession();
    const dataset = new RecordingDataset();
    await bindMetrics(s.id, dataset);
    const log = vi.spyOn(console, "log");
    const run = await runToEnd(s.id, "exit 7");
    expect(run.status).toBe("failed");
    const end = linesFor(log, run.id).at(-1);
    expect(end).toMatchObject({ status: "failed", error_code: run.error?.code });
    expect(dataset.points.map((p) => p.blobs?.[2])).toEqual(["failed"]);
  }, 90_000);

  it("the suite runs with miniflare's local Analytics Engine dataset bound, and runs end normally with it", async () => {
    expect(typeof configured?.writeDataPoint).toBe("function");
    const s = await createSession();
    expect((await runToEnd(s.id, "echo simulated")).status).toBe("completed");
  }, 90_000);

  it("without the binding nothing is written and runs are unaffected", async () => {
    const s = await createSession();
    const dataset = new RecordingDataset();
    await bindMetrics(s.id, dataset);
    await bindMetrics(s.id, undefined);
    const log = vi.spyOn(console, "log");
    const run = await runToEnd(s.id, "echo unmeasured");
    expect(run.status).toBe("completed");
    expect(linesFor(log, run.id).map((l) => l.status)).toEqual(["queued", "started", "completed"]);
    expect(dataset.points).toEqual([]);
  }, 90_000);

  it("a routed run logs each router attempt, and its end names the provider and attempt that served it", async () => {
    const s = await createSession();
    const dataset = new RecordingDataset();
    await bindMetrics(s.id, dataset);
    const log = vi.spyOn(console, "log");
    const res = await api(`/v1/sessions/${s.id}/runs?wait=true&timeout_ms=60000`, {
      method: "POST",
      json: {
        provider: "router",
        input: { prompt: "echo routed-ok # [overloaded]" },
        routing: { prefer: ["anthropic", "shell"], cooldown_ms: 0 },
      },
    });
    const run = await json<Run>(res);
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    const lines = linesFor(log, run.id);
    const attempts = lines.filter((l) => l.event === "router_attempt");
    expect(attempts.map((a) => [a.provider, a.attempt, a.status])).toEqual([
      ["anthropic", 1, "failed"],
      ["shell", 2, "succeeded"],
    ]);
    expect(attempts[0]!.error_code).toBe("provider_unavailable");
    for (const a of attempts) expect(a.duration_ms).toBeGreaterThanOrEqual(0);
    expect(lines.filter((l) => l.event === "run_transition").at(-1)).toMatchObject({ status: "completed", provider: "shell", attempt: 2 });
    expect(dataset.points.map((p) => p.blobs?.[0])).toEqual(["shell"]);
  }, 90_000);
});

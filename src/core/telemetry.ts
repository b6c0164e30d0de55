import { z } from "zod";
import type { Run } from "./run";

/**
 * Operational telemetry: one JSON log line per run transition and per router attempt (what Workers Logs and
 * `wrangler tail` index), and one Analytics Engine data point per finished run (what dashboards and cost queries
 * read). Pure builders here; the session and the router call them where the transitions happen.
 */

export const TELEMETRY_EVENTS = ["run_transition", "router_attempt"] as const;

export const TelemetryRecordSchema = z.object({
  /** Constant, so a log search finds these lines among everything else a Worker prints. */
  telemetry: z.literal("asm"),
  event: z.enum(TELEMETRY_EVENTS),
  at: z.string(),
  tenant_id: z.string(),
  session_id: z.string(),
  run_id: z.string(),
  /** The run's provider; for a routed run's end, the provider that served it. */
  provider: z.string(),
  model: z.string().nullable(),
  /** Router attempt number (1-based); on a run's end, the attempt that served a routed run; null otherwise. */
  attempt: z.number().int().min(1).nullable(),
  /**
   * run_transition: queued → null; started → time spent queued; an end → time from start (or from queueing, for a
   * run that never started) to the end. router_attempt: how long the attempt took.
   */
  duration_ms: z.number().int().min(0).nullable(),
  /** run_transition: queued | started | completed | failed | cancelled | timeout. router_attempt: succeeded | failed | aborted. */
  status: z.string(),
  error_code: z.string().nullable(),
});
export type TelemetryRecord = z.infer<typeof TelemetryRecordSchema>;

/** A one-line JSON object with the record's fields in the schema's order (a malformed record is still logged, as given). */
export function formatTelemetry(record: TelemetryRecord): string {
  const parsed = TelemetryRecordSchema.safeParse(record);
  return JSON.stringify(parsed.success ? parsed.data : record);
}

/** Where records go; console.log by default (one structured line each). */
export type TelemetryLog = (record: TelemetryRecord) => void;
export const consoleTelemetry: TelemetryLog = (record) => console.log(formatTelemetry(record));

/** `TELEMETRY_LOG=off` silences the log lines (the data points are unaffected); read at each record. */
export function telemetryLogFor(env: { TELEMETRY_LOG?: unknown }): TelemetryLog {
  return (record) => {
    if (env.TELEMETRY_LOG !== "off") consoleTelemetry(record);
  };
}

type Routing = { routed_provider?: unknown; routing_attempt?: unknown };

function routingOf(run: Run): { provider: string | null; attempt: number | null } {
  const routing = (run.metadata.routing ?? null) as Routing | null;
  const provider = typeof routing?.routed_provider === "string" ? routing.routed_provider : null;
  const attempt = typeof routing?.routing_attempt === "number" && routing.routing_attempt >= 1 ? Math.floor(routing.routing_attempt) : null;
  return { provider, attempt };
}

function millisBetween(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms)) : null;
}

/** The record of a run entering `queued`, `running` (logged as `started`) or a terminal status. */
export function runTransitionRecord(run: Run, tenantId: string, at: Date): TelemetryRecord {
  const routing = routingOf(run);
  const status = run.status === "running" ? "started" : run.status;
  const duration =
    run.status === "queued"
      ? null
      : run.status === "running"
        ? millisBetween(run.queued_at, run.started_at)
        : millisBetween(run.started_at ?? run.queued_at, run.ended_at);
  return {
    telemetry: "asm",
    event: "run_transition",
    at: at.toISOString(),
    tenant_id: tenantId,
    session_id: run.session_id,
    run_id: run.id,
    provider: routing.provider ?? run.provider,
    model: run.model,
    attempt: routing.attempt,
    duration_ms: duration,
    status,
    error_code: run.error?.code ?? null,
  };
}

export type RouterAttempt = {
  tenant_id: string;
  session_id: string;
  run_id: string;
  provider: string;
  model: string | null;
  attempt: number;
  duration_ms: number;
  status: "succeeded" | "failed" | "aborted";
  error_code: string | null;
};

export function routerAttemptRecord(a: RouterAttempt, at: Date): TelemetryRecord {
  return {
    telemetry: "asm",
    event: "router_attempt",
    at: at.toISOString(),
    tenant_id: a.tenant_id,
    session_id: a.session_id,
    run_id: a.run_id,
    provider: a.provider,
    model: a.model,
    attempt: a.attempt,
    duration_ms: Math.max(0, Math.round(a.duration_ms)),
    status: a.status,
    error_code: a.error_code,
  };
}

/** The part of an Analytics Engine dataset binding we use (a test can pass any object with this method). */
export type MetricsSink = Pick<AnalyticsEngineDataset, "writeDataPoint">;

/**
 * One data point per finished run. Analytics Engine addresses fields by position, so the order is the schema the
 * README's queries use: blob1 provider, blob2 model, blob3 status, blob4 tenant; double1 input tokens, double2
 * output tokens, double3 cost in USD (0 when unknown), double4 duration in ms; index1 tenant (the sampling key).
 */
export function runMetricsPoint(run: Run, tenantId: string): AnalyticsEngineDataPoint {
  const routing = routingOf(run);
  return {
    blobs: [routing.provider ?? run.provider, run.model ?? "", run.status, tenantId],
    doubles: [
      run.token_usage.input,
      run.token_usage.output,
      run.cost_usd ?? 0,
      millisBetween(run.started_at ?? run.queued_at, run.ended_at) ?? 0,
    ],
    indexes: [tenantId],
  };
}

/** Writes the run's data point when a sink is bound; without one nothing is written. Never throws: metrics are best effort. */
export function writeRunMetrics(sink: MetricsSink | undefined, run: Run, tenantId: string): boolean {
  if (!sink) return false;
  try {
    sink.writeDataPoint(runMetricsPoint(run, tenantId));
    return true;
  } catch (err) {
    console.error("RUN_METRICS write failed:", err instanceof Error ? err.message : String(err));
    return false;
  }
}

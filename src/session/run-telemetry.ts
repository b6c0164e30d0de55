import { isTerminalRunStatus, type Run } from "../core/run";
import { runTransitionRecord, telemetryLogFor, writeRunMetrics, type TelemetryLog } from "../core/telemetry";
import type { Env } from "../env";

/**
 * A run moved (queued, started, ended): one structured log line, and for an end one data point in the optional
 * RUN_METRICS Analytics Engine dataset. The binding is read at each end, so an object without it writes nothing.
 * Telemetry never fails a run.
 */
export function observeRunTransition(
  env: Pick<Env, "RUN_METRICS" | "TELEMETRY_LOG">,
  tenantId: string,
  run: Run,
  log: TelemetryLog = telemetryLogFor(env),
): void {
  try {
    log(runTransitionRecord(run, tenantId, new Date()));
    if (isTerminalRunStatus(run.status)) writeRunMetrics(env.RUN_METRICS, run, tenantId);
  } catch (err) {
    console.error("run telemetry failed:", err instanceof Error ? err.message : String(err));
  }
}

import { loadConfig } from "../core/config";
import { AppError, unwrap, type Result } from "../core/errors";
import type { Event } from "../core/event";
import { isTerminalRunStatus, type Run } from "../core/run";
import { SubmitRunBodySchema, type SubmitRunRequest } from "../core/run-submit";
import { newSession, type CreateSessionBody, type Session, type SessionStatus } from "../core/session";
import { classifyError, stepResultFromRun, type StepResult } from "../core/workflow";
import { sessionStubFor } from "../session/address";
import type { Env } from "../env";

/**
 * Helpers a Cloudflare Workflow step calls to drive ASM sessions directly through their Durable Objects
 * (no HTTP hop): set up a workflow-owned session, run one step (one or several runs), complete it.
 */

async function call<T>(p: Promise<Result<T>>): Promise<T> {
  return unwrap(await p);
}

export async function setupWorkflowSession(env: Env, tenantId: string, body: CreateSessionBody): Promise<Session> {
  const session = newSession(tenantId, { ...body, metadata: { ...(body.metadata ?? {}), owner: "workflow" } }, loadConfig(env));
  const stub = sessionStubFor(env, tenantId, session.id);
  await call(stub.createSession(session));
  return call(stub.updateSession({ status: "active" }));
}

/**
 * Runs one step: submits each run in order (stopping at the first that does not complete) and returns the
 * last run's normalized result, with `error.action` telling the workflow to retry, fail over or abort.
 */
export async function runSessionStep(
  env: Env,
  tenantId: string,
  sessionId: string,
  runs: SubmitRunRequest | SubmitRunRequest[],
  opts: { idempotencyKey?: string; waitMs?: number } = {},
): Promise<StepResult> {
  const stub = sessionStubFor(env, tenantId, sessionId);
  const list = Array.isArray(runs) ? runs : [runs];
  const stepStarted = new Date().toISOString();
  let result: StepResult | null = null;
  for (const [i, body] of list.entries()) {
    let run = await submitOnce(stub, body, opts.idempotencyKey ? `${opts.idempotencyKey}:${i}` : null, stepStarted);
    const deadline = Date.now() + (opts.waitMs ?? 15 * 60_000);
    while (!isTerminalRunStatus(run.status) && Date.now() < deadline) {
      run = await call(stub.waitRun(run.id, Math.min(60_000, deadline - Date.now())));
    }
    if (!isTerminalRunStatus(run.status)) {
      throw new AppError("timeout", `Run ${run.id} did not finish within the step's wait`, { run_id: run.id, status: run.status });
    }
    const page = await call(stub.readEvents({ run_id: run.id, limit: 1000 }));
    result = stepResultFromRun(run, page.events as Event[]);
    if (run.status !== "completed") break;
  }
  return result!;
}

/**
 * With a key, a re-executed step picks up the run it already submitted (still running or completed);
 * a run that ended badly before this attempt started is not reused: the retry gets a fresh one.
 */
async function submitOnce(
  stub: ReturnType<typeof sessionStubFor>,
  request: SubmitRunRequest,
  key: string | null,
  stepStarted: string,
): Promise<Run> {
  // The same validation (and defaults) as POST /v1/sessions/:id/runs.
  const parsed = SubmitRunBodySchema.safeParse(request);
  if (!parsed.success)
    throw new AppError("validation_error", `run: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  const body = parsed.data;
  for (let attempt = 0; ; attempt++) {
    const run = await call(stub.submitRun(body, key ? `${key}:${attempt}` : null));
    const staleFailure = key !== null && isTerminalRunStatus(run.status) && run.status !== "completed" && run.queued_at < stepStarted;
    if (!staleFailure) return run;
  }
}

export async function completeWorkflowSession(
  env: Env,
  tenantId: string,
  sessionId: string,
  status: Extract<SessionStatus, "completed" | "failed" | "cancelled"> = "completed",
): Promise<Session> {
  return call(sessionStubFor(env, tenantId, sessionId).updateSession({ status }));
}

export { classifyError };

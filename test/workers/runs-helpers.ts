import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import { api, json, readEvents } from "./helpers";

export async function submitRun(sessionId: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Run> {
  const res = await api(`/v1/sessions/${sessionId}/runs`, { method: "POST", json: body, headers });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return (await res.json()) as Run;
}

export async function waitRun(sessionId: string, runId: string, timeoutMs = 15_000): Promise<Run> {
  return json<Run>(api(`/v1/sessions/${sessionId}/runs/${runId}/wait?timeout_ms=${timeoutMs}`));
}

export async function getRun(sessionId: string, runId: string): Promise<Run> {
  return json<Run>(api(`/v1/sessions/${sessionId}/runs/${runId}`));
}

export async function runEvents(sessionId: string, runId: string): Promise<Event[]> {
  return (await readEvents(sessionId, `run_id=${runId}&limit=1000`)).events;
}

/** Polls until `pred` holds for the run (status changes happen inside the DO). */
export async function untilRun(sessionId: string, runId: string, pred: (r: Run) => boolean, ms = 10_000): Promise<Run> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await getRun(sessionId, runId);
    if (pred(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} stuck in ${run.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls the session log until an event of `type` shows up for the run. */
export async function untilEvent(sessionId: string, runId: string, type: string, ms = 10_000): Promise<Event> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = (await runEvents(sessionId, runId)).find((e) => e.type === type);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} on ${runId}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

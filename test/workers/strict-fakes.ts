import { expect, inject } from "vitest";
import type { Run } from "../../src/core/run";
import { submitRun, waitRun } from "./runs-helpers";

/** The strict fakes' origins (test/fakes/*-rules.ts refuse what the real APIs would refuse). */
const fakes = [inject("anthropicUrl"), new URL(inject("openaiUrl")).origin];

/** The requests either fake refused that carry this test's marker. */
export async function rejected(marker: string): Promise<string[]> {
  const logs = await Promise.all(
    fakes.map(
      async (url) => (await (await fetch(`${url}/_fake/rejections?contains=${marker}`)).json()) as { rejections: { message: string }[] },
    ),
  );
  return logs.flatMap((l) => l.rejections.map((r) => r.message));
}

/** Submits a run, waits for it, and expects it completed (the run's error in the failure message). */
export async function completed(sessionId: string, body: Record<string, unknown>): Promise<Run> {
  const run = await waitRun(sessionId, (await submitRun(sessionId, body)).id, 60_000);
  expect(run.status, JSON.stringify(run.error)).toBe("completed");
  return run;
}

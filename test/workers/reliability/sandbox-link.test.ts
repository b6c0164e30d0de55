import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { Event } from "../../../src/core/event";
import type { Run } from "../../../src/core/run";
import { api, createSession, json } from "../helpers";

/**
 * The link between the Worker and the sandbox under load and under faults: 10 sessions × 16 concurrent shell runs
 * (160 at once, tenant_link's quota) while the fault proxy drops every fifth request of each session's workspace, in
 * turn refused, answered into the void, or cut mid-stream. Every run completes, each command ran exactly once, and
 * each run's streamed output is its output, with nothing lost or repeated across reattaches.
 */

const KEY = "test_key_link";
const SESSIONS = 10;
const RUNS = 16;
const direct = inject("sandboxDirectUrl");
const token = inject("sandboxToken");

const fault = (sid: string, action: string) => fetch(`${env.SANDBOX_URL}/_fault/${sid}/${action}`, { method: "POST" });

async function readWorkspaceFile(sid: string, path: string): Promise<string> {
  const res = await fetch(`${direct}/files?path=${encodeURIComponent(path)}`, {
    headers: { authorization: `Bearer ${token}`, "x-sandbox-workspace": sid },
  });
  if (!res.ok) throw new Error(`read ${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { content: string }).content;
}

describe("the sandbox link holds", () => {
  it(`${SESSIONS} sessions × ${RUNS} concurrent shell runs all complete, each command once, while the link drops requests`, async () => {
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, () => createSession({ agent_id: "link", max_concurrent_runs: RUNS }, KEY)),
    );
    for (const s of sessions) await fault(s.id, "flaky?every=5");
    const submitted = await Promise.all(
      sessions.flatMap((s) =>
        Array.from({ length: RUNS }, async (_, i) => {
          const res = await api(`/v1/sessions/${s.id}/runs`, {
            method: "POST",
            key: KEY,
            json: { provider: "shell", input: `echo ${i} >> ran.log; echo start-${i}; sleep 0.5; echo end-${i}` },
          });
          if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
          return { sid: s.id, i, run: (await res.json()) as Run };
        }),
      ),
    );
    const ended = await Promise.all(
      submitted.map(async ({ sid, i, run }) => {
        let current = run;
        for (
          const deadline = Date.now() + 150_000;
          !["completed", "failed", "cancelled", "timeout"].includes(current.status) && Date.now() < deadline;
        ) {
          current = await json<Run>(api(`/v1/sessions/${sid}/runs/${run.id}/wait?timeout_ms=20000`, { key: KEY }));
        }
        return { sid, i, run: current };
      }),
    );
    const failed = ended.filter((e) => e.run.status !== "completed");
    expect(failed.map((e) => `${e.run.id} ${e.run.status} ${JSON.stringify(e.run.error)}`)).toEqual([]);
    for (const { i, run } of ended) expect(run.output?.content).toBe(`start-${i}\nend-${i}\n`);

    const injected = { refuse: 0, lose_answer: 0, cut_stream: 0 };
    for (const s of sessions) {
      const stats = (await (await fetch(`${env.SANDBOX_URL}/_fault/${s.id}/stats`)).json()) as typeof injected;
      for (const k of Object.keys(injected) as (keyof typeof injected)[]) injected[k] += stats[k];
      await fault(s.id, "restore");
      // Each command ran exactly once: a retried start attached to its exec instead of running it again.
      const ran = (await readWorkspaceFile(s.id, "ran.log"))
        .trim()
        .split("\n")
        .map(Number)
        .sort((a, b) => a - b);
      expect(ran, s.id).toEqual(Array.from({ length: RUNS }, (_, i) => i));
    }
    expect(injected.refuse).toBeGreaterThan(0);
    expect(injected.lose_answer).toBeGreaterThan(0);
    expect(injected.cut_stream).toBeGreaterThan(0);

    // The streamed chunks of a run add up to its output: none lost, none repeated by a reattach.
    for (const { sid, i, run } of ended.filter((e) => e.i % 4 === 0)) {
      const page = await json<{ events: Event[] }>(
        api(`/v1/sessions/${sid}/events?run_id=${run.id}&type=message_streamed&limit=1000`, { key: KEY }),
      );
      const streamed = page.events.map((e) => (e.data as { delta: string }).delta).join("");
      expect(streamed, run.id).toBe(`start-${i}\nend-${i}\n`);
    }
    console.log(`sandbox link: ${SESSIONS * RUNS} runs completed; faults injected ${JSON.stringify(injected)}`);
  }, 240_000);
});

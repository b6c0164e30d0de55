import { describe, expect, it } from "vitest";
import type { PendingApproval, SessionRuntimeStatus } from "../../src/core/run-controls";
import { api, createSession, json, KEY_B } from "./helpers";
import { getRun, runEvents, submitRun, untilEvent, untilRun, waitRun } from "./runs-helpers";

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

const sleeper = (secs = 30) => ({ provider: "shell", input: `sleep ${secs}` });
const gated = {
  provider: "shell",
  input: "echo gated",
  policy: { name: "gate", tool_rules: [{ deny: ["Bash"] }], on_violation: "request_approval" },
};

async function sh(sessionId: string, command: string): Promise<string> {
  const run = await waitRun(sessionId, (await submitRun(sessionId, { provider: "shell", input: command })).id);
  if (run.status !== "completed") throw new Error(`setup failed: ${JSON.stringify(run.error)}`);
  return String(run.output?.content ?? "");
}

describe("multitask on submission", () => {
  it("enqueue (default) runs FIFO; reject answers 409 run_in_progress while anything is queued or running", async () => {
    const s = await createSession();
    const first = await submitRun(s.id, sleeper());
    await untilRun(s.id, first.id, (r) => r.status === "running");
    const res = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "shell", input: "echo no", multitask: "reject" },
    });
    expect(res.status).toBe(409);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe("run_in_progress");
    expect(body.error.details.in_flight).toEqual([first.id]);
    const queued = await submitRun(s.id, { provider: "shell", input: "echo later" });
    expect(queued.status).toBe("queued");
    await api(`/v1/sessions/${s.id}/runs/cancel`, { method: "POST" });
    // Idle again: reject accepts.
    const ok = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo fine", multitask: "reject" })).id);
    expect(ok.status).toBe("completed");
  });

  it("interrupt cancels the running and queued runs with reason interrupted, then starts this one", async () => {
    const s = await createSession();
    const running = await submitRun(s.id, sleeper());
    await untilRun(s.id, running.id, (r) => r.status === "running");
    const waiting = await submitRun(s.id, sleeper());
    const next = await submitRun(s.id, { provider: "shell", input: "echo took-over", multitask: "interrupt" });
    const done = await waitRun(s.id, next.id);
    expect(done.status).toBe("completed");
    expect(done.output?.content).toBe("took-over\n");
    for (const id of [running.id, waiting.id]) {
      expect((await getRun(s.id, id)).status).toBe("cancelled");
      const cancelled = (await runEvents(s.id, id)).find((e) => e.type === "run_cancelled")!;
      expect(cancelled.data.reason).toBe("interrupted");
    }
    // Interrupted runs stay in the transcript.
    const transcript = await json<{ messages: { content: string }[] }>(api(`/v1/sessions/${s.id}/transcript`));
    expect(transcript.messages.some((m) => String(m.content).includes("sleep 30"))).toBe(true);
  });

  it("rollback restores the interrupted run's git snapshot, marks it rolled_back and leaves it out of the transcript", {
    timeout: 90_000,
  }, async () => {
    const s = await createSession();
    await sh(
      s.id,
      "git init -q repo && cd repo && git config user.email t@e && git config user.name t && echo one > f.txt && git add . && git commit -qm init",
    );
    const victim = await submitRun(s.id, {
      provider: "shell",
      input: "cd repo && echo CHANGED > f.txt && echo junk > new.txt && echo marker-victim && sleep 30",
      workspace: { path: "repo", backend: "git", snapshot: true },
    });
    await untilEvent(s.id, victim.id, "message_streamed");
    const next = await submitRun(s.id, { provider: "shell", input: "cat repo/f.txt; ls repo", multitask: "rollback" });
    const done = await waitRun(s.id, next.id);
    expect(done.output?.content).toBe("one\nf.txt\n");
    const rolled = await getRun(s.id, victim.id);
    expect(rolled.status).toBe("cancelled");
    expect(rolled.metadata).toMatchObject({ rolled_back: true, rollback: { workspace: "restored" } });
    const transcript = await json<{ messages: { content: string }[] }>(api(`/v1/sessions/${s.id}/transcript`));
    const text = JSON.stringify(transcript.messages);
    expect(text).not.toContain("marker-victim");
    expect(text).toContain("cat repo/f.txt");
  });

  it("rollback is refused (409 invalid_operation) when a running run takes no git snapshot, and nothing is cancelled", async () => {
    const s = await createSession();
    const running = await submitRun(s.id, sleeper());
    await untilRun(s.id, running.id, (r) => r.status === "running");
    const res = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "shell", input: "echo x", multitask: "rollback" },
    });
    expect(res.status).toBe(409);
    expect((await json<ErrorBody>(res)).error).toMatchObject({
      code: "invalid_operation",
      details: { run_id: running.id, reason: "no_workspace_snapshot" },
    });
    expect((await getRun(s.id, running.id)).status).toBe("running");
    await api(`/v1/sessions/${s.id}/runs/cancel`, { method: "POST" });
  });

  it("an unknown multitask value is a 400", async () => {
    const s = await createSession();
    const res = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { provider: "shell", input: "echo", multitask: "later" } });
    expect(res.status).toBe(400);
  });
});

describe("cancel all, drain, pause", () => {
  it("POST …/runs/cancel cancels everything queued and running", async () => {
    const s = await createSession();
    const a = await submitRun(s.id, sleeper());
    await untilRun(s.id, a.id, (r) => r.status === "running");
    const b = await submitRun(s.id, sleeper());
    const res = await api(`/v1/sessions/${s.id}/runs/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(new Set((await json<{ cancelled: string[] }>(res)).cancelled)).toEqual(new Set([a.id, b.id]));
    expect((await getRun(s.id, a.id)).status).toBe("cancelled");
    expect((await getRun(s.id, b.id)).status).toBe("cancelled");
    const empty = await json<{ cancelled: string[] }>(api(`/v1/sessions/${s.id}/runs/cancel`, { method: "POST" }));
    expect(empty.cancelled).toEqual([]);
    expect((await api(`/v1/sessions/ses_${"0".repeat(32)}/runs/cancel`, { method: "POST" })).status).toBe(404);
  });

  it("drain answers when the queue is empty, refuses submissions meanwhile, and 408s with what is left", async () => {
    const s = await createSession();
    const quick = await submitRun(s.id, { provider: "shell", input: "sleep 0.3; echo done" });
    const draining = api(`/v1/sessions/${s.id}/drain`, { method: "POST", json: { timeout_ms: 10_000 } });
    await new Promise((r) => setTimeout(r, 50));
    const refused = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { provider: "shell", input: "echo no" } });
    expect(refused.status).toBe(409);
    expect((await json<ErrorBody>(refused)).error.details).toMatchObject({ draining: true });
    const res = await draining;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ drained: true, in_flight: [], queued: [] });
    expect((await getRun(s.id, quick.id)).status).toBe("completed");

    const slow = await submitRun(s.id, sleeper());
    await untilRun(s.id, slow.id, (r) => r.status === "running");
    const timedOut = await api(`/v1/sessions/${s.id}/drain`, { method: "POST", json: { timeout_ms: 100 } });
    expect(timedOut.status).toBe(408);
    expect((await json<ErrorBody>(timedOut)).error).toMatchObject({ code: "drain_timeout", details: { in_flight: [slow.id], queued: [] } });
    expect((await api(`/v1/sessions/${s.id}/drain`, { method: "POST", json: { timeout_ms: -1 } })).status).toBe(400);
    await api(`/v1/sessions/${s.id}/runs/cancel`, { method: "POST" });
  });

  it("a paused session starts no queued run until it is resumed", async () => {
    const s = await createSession();
    await sh(s.id, "true");
    expect((await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "paused" } })).status).toBe(200);
    const held = await submitRun(s.id, { provider: "shell", input: "echo resumed" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await getRun(s.id, held.id)).status).toBe("queued");
    expect((await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: { status: "active" } })).status).toBe(200);
    expect((await waitRun(s.id, held.id)).output?.content).toBe("resumed\n");
  });
});

describe("runtime status and pending approvals", () => {
  it("GET …/status lists runs with positions, slots, sequences, subscribers and pending approvals", async () => {
    const s = await createSession();
    const gate = await submitRun(s.id, { ...gated, policy: { ...gated.policy, limits: { max_tool_calls: 5 } } });
    const request = await untilEvent(s.id, gate.id, "tool_approval_requested");
    await untilRun(s.id, gate.id, (r) => r.status === "awaiting_approval");
    const q1 = await submitRun(s.id, { provider: "shell", input: "echo one" });
    const q2 = await submitRun(s.id, { provider: "shell", input: "echo two" });
    const status = await json<SessionRuntimeStatus>(api(`/v1/sessions/${s.id}/status`));
    expect(status).toMatchObject({
      session_id: s.id,
      accepting_runs: true,
      draining: false,
      max_concurrent_runs: 1,
      free_slots: 0,
      max_queued_runs: s.max_queued_runs,
      in_flight: [{ id: gate.id, status: "awaiting_approval", provider: "shell" }],
      queued: [
        { id: q1.id, position: 1 },
        { id: q2.id, position: 2 },
      ],
      subscribers: { websockets: 0, sse: 0, long_polls: 0 },
    });
    expect(status.latest_sequence).toBeGreaterThan(0);
    expect(status.flushed_sequence).toBeLessThanOrEqual(status.latest_sequence);
    expect(status.pending_approvals).toEqual([
      expect.objectContaining({ run_id: gate.id, tool_call_id: request.data.tool_call_id, policy_name: "gate" }),
    ]);
    expect(status).toHaveProperty("isolation");
    // A run in flight shows its policy's counters so far beside its limits (what the dashboard's budget shows).
    expect(status.in_flight[0]!.policy).toMatchObject({
      policy: "gate",
      action: "request_approval",
      limits: { max_tool_calls: 5 },
      violations: [expect.objectContaining({ kind: "tool_denied" })],
      counters: { tool_calls: expect.any(Number), total_tokens: 0 },
    });

    const listed = await json<{ items: PendingApproval[] }>(api(`/v1/sessions/${s.id}/approvals?status=pending`));
    expect(listed.items.map((a) => a.tool_call_id)).toEqual([request.data.tool_call_id]);
    expect((await api(`/v1/sessions/${s.id}/approvals?status=granted`)).status).toBe(400);

    // Tenant-wide, from D1 once flushed; another tenant sees none of it.
    const deadline = Date.now() + 5000;
    let tenant: PendingApproval[] = [];
    while (Date.now() < deadline) {
      tenant = (await json<{ items: PendingApproval[] }>(api(`/v1/approvals?status=pending&limit=1000`))).items;
      if (tenant.some((a) => a.run_id === gate.id)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(tenant.find((a) => a.run_id === gate.id)).toMatchObject({
      session_id: s.id,
      tool_call_id: request.data.tool_call_id,
      tool_name: "bash",
    });
    const other = await json<{ items: PendingApproval[] }>(api(`/v1/approvals`, { key: KEY_B }));
    expect(other.items.some((a) => a.session_id === s.id)).toBe(false);
    expect((await api(`/v1/sessions/${s.id}/status`, { key: KEY_B })).status).toBe(404);

    await api(`/v1/sessions/${s.id}/runs/${gate.id}/approvals/${request.data.tool_call_id as string}`, {
      method: "POST",
      json: { decision: "grant" },
    });
    await waitRun(s.id, q2.id);
    const after = await json<SessionRuntimeStatus>(api(`/v1/sessions/${s.id}/status`));
    expect(after).toMatchObject({ in_flight: [], queued: [], pending_approvals: [], free_slots: 1 });
    const decided = await json<{ items: PendingApproval[] }>(api(`/v1/sessions/${s.id}/approvals`));
    expect(decided.items).toEqual([]);
  });
});

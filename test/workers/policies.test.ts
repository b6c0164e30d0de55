import { describe, expect, it } from "vitest";
import type { Run } from "../../src/core/run";
import { api, createSession, json } from "./helpers";
import { runEvents, submitRun, untilEvent, untilRun, waitRun } from "./runs-helpers";

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
const denyBash = (on_violation: string, name = "no-bash") => ({ name, tool_rules: [{ deny: ["Bash"] }], on_violation });

describe("policy actions on shell runs", () => {
  it("cancel: the tool never runs and the run fails with policy_violation", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: "echo should-not-run", policy: denyBash("cancel") })).id,
    );
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("policy_violation");
    const events = await runEvents(s.id, run.id);
    expect(events.filter((e) => e.type === "policy_violation")).toHaveLength(1);
    expect(events.some((e) => e.type === "message_streamed")).toBe(false);
    expect(events.at(-1)!.type).toBe("run_failed");
  });

  it("warn: the run succeeds and the violation is recorded in run metadata", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo fine", policy: denyBash("warn") })).id);
    expect(run.status).toBe("completed");
    expect(run.output?.content).toBe("fine\n");
    const policy = run.metadata.policy as { action: string; violations: { kind: string }[] };
    expect(policy.action).toBe("warn");
    expect(policy.violations.map((v) => v.kind)).toEqual(["tool_denied"]);
    expect((await runEvents(s.id, run.id)).filter((e) => e.type === "policy_violation")).toHaveLength(1);
  });

  it("a budget breach observed during the run cancels it even though the command succeeded", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "sleep 0.4; echo done",
          policy: { name: "quick", limits: { max_duration_ms: 100 }, on_violation: "cancel" },
        })
      ).id,
    );
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("policy_violation");
    const violation = (await runEvents(s.id, run.id)).find((e) => e.type === "policy_violation")!;
    expect(violation.data).toMatchObject({ policy: "quick", kind: "budget_exceeded", details: { metric: "duration_ms" } });
  });

  it("stacks policies: names joined, strictest action wins", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "echo x",
          policies: [denyBash("warn", "team"), { name: "org", on_violation: "cancel" }],
        })
      ).id,
    );
    expect(run.status).toBe("failed");
    const violation = (await runEvents(s.id, run.id)).find((e) => e.type === "policy_violation")!;
    expect(violation.data).toMatchObject({ policy: "team + org", action: "cancel" });
  });

  it("preflight refuses impossible policies with a 400 before anything is queued", async () => {
    const s = await createSession();
    for (const policy of [
      { name: "empty", tool_rules: [{ allow: [] }] },
      { name: "zero", limits: { max_tool_calls: 0 } },
      { name: "both", tool_rules: [{ allow: ["bash"] }, { deny: ["BASH"] }] },
    ]) {
      const res = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { provider: "shell", input: "true", policy } });
      expect(res.status, policy.name).toBe(400);
      const body = await json<ErrorBody>(res);
      expect(["policy_violation", "validation_error"]).toContain(body.error.code);
    }
    const invalid = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "shell", input: "true", policy: { on_violation: "explode" } },
    });
    expect(invalid.status).toBe(400);
    const list = await json<{ items: Run[] }>(api(`/v1/sessions/${s.id}/runs`));
    expect(list.items).toEqual([]);
  });
});

describe("approval gates", () => {
  const gated = { provider: "shell", input: "echo approved-output", policy: denyBash("request_approval", "gate") };

  it("pauses the run until a person grants, then the tool runs", async () => {
    const s = await createSession();
    const run = await submitRun(s.id, gated);
    const request = await untilEvent(s.id, run.id, "tool_approval_requested");
    expect(request.data).toMatchObject({ tool_name: "bash", policy_name: "gate", violation_kind: "tool_denied" });
    const paused = await untilRun(s.id, run.id, (r) => r.status === "awaiting_approval");
    expect(paused.status).toBe("awaiting_approval");
    expect((await runEvents(s.id, run.id)).some((e) => e.type === "message_streamed")).toBe(false);
    const decided = await api(`/v1/sessions/${s.id}/runs/${run.id}/approvals/${request.data.tool_call_id as string}`, {
      method: "POST",
      json: { decision: "grant", reason: "looks safe" },
    });
    expect(decided.status).toBe(200);
    // The answer is the run as the decision left it, no longer waiting.
    expect((await json<Run>(decided)).status).not.toBe("awaiting_approval");
    const again = await api(`/v1/sessions/${s.id}/runs/${run.id}/approvals/${request.data.tool_call_id as string}`, {
      method: "POST",
      json: { decision: "deny" },
    });
    expect(again.status).toBe(409);
    expect((await json<{ error: { code: string; details: { outcome: string } } }>(again)).error).toMatchObject({
      code: "invalid_status",
      details: { outcome: "grant" },
    });
    const done = await waitRun(s.id, run.id);
    expect(done.status).toBe("completed");
    expect(done.output?.content).toBe("approved-output\n");
    const types = (await runEvents(s.id, run.id)).map((e) => e.type);
    expect(types.indexOf("tool_approval_granted")).toBeGreaterThan(types.indexOf("tool_approval_requested"));
    expect(types.indexOf("message_streamed")).toBeGreaterThan(types.indexOf("tool_approval_granted"));
  });

  it("a denial ends a shell run without running the command", async () => {
    const s = await createSession();
    const run = await submitRun(s.id, gated);
    const request = await untilEvent(s.id, run.id, "tool_approval_requested");
    await api(`/v1/sessions/${s.id}/runs/${run.id}/approvals/${request.data.tool_call_id as string}`, {
      method: "POST",
      json: { decision: "deny", reason: "no" },
    });
    const done = await waitRun(s.id, run.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("tool_permission_denied");
    const types = (await runEvents(s.id, run.id)).map((e) => e.type);
    expect(types).toContain("tool_approval_denied");
    expect(types).not.toContain("message_streamed");
  });

  it("an approval that never comes ends the run at its timeout", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { ...gated, approval_timeout_ms: 200 })).id);
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("timeout");
    expect((await runEvents(s.id, run.id)).map((e) => e.type)).toContain("tool_approval_expired");
  });

  it("rejects a decision for an unknown tool call", async () => {
    const s = await createSession();
    const run = await submitRun(s.id, { provider: "shell", input: "true" });
    const res = await api(`/v1/sessions/${s.id}/runs/${run.id}/approvals/tc_nope`, { method: "POST", json: { decision: "grant" } });
    expect(res.status).toBe(404);
    await waitRun(s.id, run.id);
  });
});

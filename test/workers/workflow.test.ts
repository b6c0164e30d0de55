import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { completeWorkflowSession, runSessionStep, setupWorkflowSession } from "../../src/workflows/bridge";

describe("Workflows bridge", () => {
  it("sets up a session, runs steps with normalized results and classification, and completes it", async () => {
    const session = await setupWorkflowSession(env, "tenant_a", { agent_id: "wf" });
    expect(session.status).toBe("active");
    const ok = await runSessionStep(env, "tenant_a", session.id, [
      { provider: "shell", input: "echo first" },
      { provider: "shell", input: "echo second" },
    ]);
    expect(ok.content).toBe("second\n");
    expect(ok.error ?? null).toBeNull();
    const bad = await runSessionStep(env, "tenant_a", session.id, { provider: "shell", input: "exit 7" });
    expect(bad.error).toMatchObject({ code: "provider_error", action: "abort" });
    const timedOut = await runSessionStep(env, "tenant_a", session.id, { provider: "shell", input: "sleep 5", timeout_ms: 100 });
    expect(timedOut.error).toMatchObject({ code: "timeout", action: "retry" });
    const again = await runSessionStep(
      env,
      "tenant_a",
      session.id,
      { provider: "shell", input: "echo once" },
      { idempotencyKey: "step-1" },
    );
    const replay = await runSessionStep(
      env,
      "tenant_a",
      session.id,
      { provider: "shell", input: "echo once" },
      { idempotencyKey: "step-1" },
    );
    expect(replay.run_id).toBe(again.run_id);
    const done = await completeWorkflowSession(env, "tenant_a", session.id);
    expect(done.status).toBe("completed");
  });
});

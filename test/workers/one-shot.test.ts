import { describe, expect, it } from "vitest";
import type { Run } from "../../src/core/run";
import type { Session } from "../../src/core/session";
import { api, createSession, json } from "./helpers";

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type OneShot = { run: Run; session: Session };

describe("one-shot runs, ?wait=true and required capabilities", () => {
  it("POST /v1/runs creates a session, runs, waits and completes the session; Idempotency-Key returns the same pair", async () => {
    const body = { run: { provider: "shell", input: "echo once" } };
    const res = await api("/v1/runs", { method: "POST", json: body, headers: { "idempotency-key": "one-shot-1" } });
    expect(res.status).toBe(200);
    const first = await json<OneShot>(res);
    expect(first.run).toMatchObject({ status: "completed", output: { content: "once\n" } });
    expect(first.session).toMatchObject({ agent_id: "shell", status: "completed" });
    const again = await json<OneShot>(api("/v1/runs", { method: "POST", json: body, headers: { "idempotency-key": "one-shot-1" } }));
    expect(again.session.id).toBe(first.session.id);
    expect(again.run.id).toBe(first.run.id);
    const changed = await api("/v1/runs", {
      method: "POST",
      json: { run: { provider: "shell", input: "echo other" } },
      headers: { "idempotency-key": "one-shot-1" },
    });
    expect(changed.status).toBe(422);
  });

  it("a failed one-shot run fails its session; a run still going after wait_ms is a 202", async () => {
    const failed = await json<OneShot>(
      api("/v1/runs", { method: "POST", json: { session: { agent_id: "a", tags: ["x"] }, run: { provider: "shell", input: "exit 4" } } }),
    );
    expect(failed.run.status).toBe("failed");
    expect(failed.session).toMatchObject({ agent_id: "a", tags: ["x"], status: "failed" });
    const slow = await api("/v1/runs", { method: "POST", json: { run: { provider: "shell", input: "sleep 5" }, wait_ms: 100 } });
    expect(slow.status).toBe(202);
    const going = await json<OneShot>(slow);
    expect(["queued", "running"]).toContain(going.run.status);
    expect(going.session.status).not.toBe("completed");
    await api(`/v1/sessions/${going.session.id}/runs/cancel`, { method: "POST" });
    expect((await api("/v1/runs", { method: "POST", json: { run: { provider: "nope", input: "x" } } })).status).toBe(400);
  });

  it("?wait=true answers 200 with the ended run, 202 when timeout_ms passes first; unknown query parameters are a 400", async () => {
    const s = await createSession();
    const done = await api(`/v1/sessions/${s.id}/runs?wait=true`, { method: "POST", json: { provider: "shell", input: "echo waited" } });
    expect(done.status).toBe(200);
    expect(await json<Run>(done)).toMatchObject({ status: "completed", output: { content: "waited\n" } });
    const slow = await api(`/v1/sessions/${s.id}/runs?wait=true&timeout_ms=50`, {
      method: "POST",
      json: { provider: "shell", input: "sleep 5" },
    });
    expect(slow.status).toBe(202);
    await api(`/v1/sessions/${s.id}/runs/cancel`, { method: "POST" });
    const unknown = await api(`/v1/sessions/${s.id}/runs?wiat=true`, { method: "POST", json: { provider: "shell", input: "echo" } });
    expect(unknown.status).toBe(400);
  });

  it("required_capabilities is checked at submission for every provider (400 missing_required_capability)", async () => {
    const s = await createSession();
    const missing = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "shell", input: "echo", required_capabilities: [{ type: "sampling" }] },
    });
    expect(missing.status).toBe(400);
    const body = await json<ErrorBody>(missing);
    expect(body.error.code).toBe("missing_required_capability");
    expect(body.error.details).toMatchObject({ provider: "shell", missing: [{ type: "sampling", name: null }] });
    const routed = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "router", input: "echo", required_capabilities: [{ type: "tool", name: "no-such-tool" }] },
    });
    expect((await json<ErrorBody>(routed)).error.code).toBe("missing_required_capability");
    const ok = await api(`/v1/sessions/${s.id}/runs?wait=true`, {
      method: "POST",
      json: { provider: "shell", input: "echo ok", required_capabilities: [{ type: "code_execution", name: "bash" }] },
    });
    expect(ok.status).toBe(200);
    const bad = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "shell", input: "echo", required_capabilities: [{ type: "telepathy" }] },
    });
    expect(bad.status).toBe(400);
  });
});

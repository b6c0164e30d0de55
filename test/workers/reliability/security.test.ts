import { describe, expect, it } from "vitest";
import { api, createSession, json, KEY_B } from "../helpers";
import { submitRun, waitRun } from "../runs-helpers";

describe("security matrix", () => {
  it("every route refuses no key and a wrong key (401), and another tenant's key sees nothing (404)", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "true" })).id);
    const sessionRoutes: [string, string, unknown?][] = [
      ["GET", `/v1/sessions/${s.id}`],
      ["PATCH", `/v1/sessions/${s.id}`, { status: "active" }],
      ["DELETE", `/v1/sessions/${s.id}`],
      ["GET", `/v1/sessions/${s.id}/events`],
      ["POST", `/v1/sessions/${s.id}/events`, { events: [{ type: "message_sent", data: {} }] }],
      ["GET", `/v1/sessions/${s.id}/runs`],
      ["POST", `/v1/sessions/${s.id}/runs`, { provider: "shell", input: "true" }],
      ["GET", `/v1/sessions/${s.id}/runs/${run.id}`],
      ["POST", `/v1/sessions/${s.id}/runs/${run.id}/cancel`],
      ["GET", `/v1/sessions/${s.id}/runs/${run.id}/wait?timeout_ms=0`],
      ["GET", `/v1/sessions/${s.id}/runs/${run.id}/diff`],
      ["POST", `/v1/sessions/${s.id}/runs/${run.id}/approvals/tc_x`, { decision: "grant" }],
      ["GET", `/v1/sessions/${s.id}/transcript`],
    ];
    const tenantRoutes: [string, string, unknown?][] = [
      ["GET", "/v1/sessions"],
      ["POST", "/v1/sessions", { agent_id: "x" }],
      ["GET", "/v1/query/runs"],
      ["GET", "/v1/query/cost"],
      ["GET", "/v1/query/events"],
      ["GET", "/v1/providers"],
      ["GET", "/v1/webhooks"],
      ["GET", "/v1/maintenance/health"],
      ["POST", "/v1/maintenance/retention", { dry_run: true }],
      ["GET", "/v1/artifacts/patch_x"],
    ];
    for (const [method, path, body] of [...sessionRoutes, ...tenantRoutes]) {
      const init = { method, ...(body ? { json: body } : {}) };
      expect((await api(path, { ...init, key: null })).status, `${method} ${path} without key`).toBe(401);
      expect((await api(path, { ...init, key: "not-a-key" })).status, `${method} ${path} wrong key`).toBe(401);
    }
    for (const [method, path, body] of sessionRoutes) {
      const res = await api(path, { method, key: KEY_B, ...(body ? { json: body } : {}) });
      expect(res.status, `${method} ${path} other tenant`).toBe(404);
    }
    const ws = await api(`/v1/sessions/${s.id}/ws`, { headers: { upgrade: "websocket" }, key: null });
    expect(ws.status).toBe(401);
    const wsQueryWrong = await api(`/v1/sessions/${s.id}/ws?api_key=nope`, { headers: { upgrade: "websocket" }, key: null });
    expect(wsQueryWrong.status).toBe(401);
    // The session is untouched by all of the above.
    const still = await json<{ status: string; deleted_at: string | null }>(api(`/v1/sessions/${s.id}`));
    expect(still.deleted_at).toBeNull();
  });

  it("refuses sandbox paths that escape the workspace when the run is submitted (400), and at the sandbox (403)", async () => {
    const s = await createSession();
    for (const cwd of ["..", "../..", "/etc", "a/../../.."]) {
      const res = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { provider: "shell", input: { command: "pwd", cwd } } });
      expect(res.status, cwd).toBe(400);
    }
    const snapshot = await api(`/v1/sessions/${s.id}/runs`, {
      method: "POST",
      json: { provider: "shell", input: "true", workspace: { path: "../../", snapshot: true } },
    });
    expect(snapshot.status).toBe(400);
    // A symlink the run itself makes is caught by the sandbox, which confines every path it is given.
    await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "ln -s /etc out" })).id);
    const through = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: { command: "pwd", cwd: "out" } })).id);
    expect(through.status).toBe("failed");
    expect(through.error?.code).toBe("forbidden");
  });

  it("rejects oversized bodies and event payloads with 413", async () => {
    const s = await createSession();
    expect(
      (
        await api(`/v1/sessions/${s.id}/runs`, {
          method: "POST",
          body: `{${" ".repeat(1_100_000)}}`,
          headers: { "content-type": "application/json" },
        })
      ).status,
    ).toBe(413);
    expect(
      (
        await api(`/v1/sessions/${s.id}/events`, {
          method: "POST",
          json: { events: [{ type: "message_sent", data: { content: "y".repeat(270_000) } }] },
        })
      ).status,
    ).toBe(413);
  });
});

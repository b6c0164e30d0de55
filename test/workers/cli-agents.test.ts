import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Session } from "../../src/core/session";
import { api, createSession, json } from "./helpers";
import { runEvents, submitRun, untilEvent, waitRun } from "./runs-helpers";

const fakeEnv = (scenario: string) => ({
  PATH: `${(env as unknown as { FAKE_CLI_BIN: string }).FAKE_CLI_BIN}:/usr/local/bin:/usr/bin:/bin`,
  FAKE_CLI_SCENARIO: scenario,
});

describe("coding-agent CLIs through the session", () => {
  for (const provider of ["claude-code", "codex", "amp"] as const) {
    it(`${provider}: canonical events, usage, and the CLI's session id kept for native continuation`, async () => {
      const s = await createSession();
      const run = await waitRun(s.id, (await submitRun(s.id, { provider, input: "fix the bug", options: { env: fakeEnv("success") } })).id);
      expect(run.status, JSON.stringify(run.error)).toBe("completed");
      const types = (await runEvents(s.id, run.id)).map((e) => e.type);
      expect(types).toContain("run_started");
      expect(types).toContain("tool_call_started");
      expect(types).toContain("message_received");
      expect(types.at(-1)).toBe("run_completed");
      expect(run.token_usage.total).toBeGreaterThan(0);
      const session = await json<Session>(api(`/v1/sessions/${s.id}`));
      const handle = (session.metadata.provider_sessions as Record<string, { provider_session_id: string }>)[provider];
      expect(handle?.provider_session_id).toBeTruthy();
      const resumed = await waitRun(
        s.id,
        (await submitRun(s.id, { provider, input: "continue", continuation: "native", options: { env: fakeEnv("success") } })).id,
      );
      expect(resumed.status).toBe("completed");
    });
  }

  it("a CLI failing with stderr becomes provider_error, and cancel stops a long stream", async () => {
    const s = await createSession();
    const failed = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "claude-code", input: "x", options: { env: fakeEnv("exit") } })).id,
    );
    expect(failed.status).toBe("failed");
    expect(failed.error?.provider_error).toMatchObject({ provider: "claude-code" });
    expect(failed.error?.provider_error?.stderr).toBeTruthy();
    const slow = await submitRun(s.id, { provider: "codex", input: "x", options: { env: fakeEnv("slow") } });
    await untilEvent(s.id, slow.id, "run_started");
    const cancelled = await json<{ status: string }>(api(`/v1/sessions/${s.id}/runs/${slow.id}/cancel`, { method: "POST" }));
    expect(cancelled.status).toBe("cancelled");
  });
});

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Run } from "../../src/core/run";
import { api, createSession, json } from "./helpers";
import { getRun, runEvents, submitRun, untilEvent, untilRun, waitRun } from "./runs-helpers";

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };

describe("shell runs", () => {
  it("streams output in order and ends completed with the canonical event sequence", async () => {
    const s = await createSession();
    const queued = await submitRun(s.id, { provider: "shell", input: "for i in 1 2 3; do echo line$i; sleep 0.05; done; echo oops >&2" });
    expect(queued.status).toBe("queued");
    const run = await waitRun(s.id, queued.id);
    expect(run.status).toBe("completed");
    expect(run.output?.content).toBe("line1\nline2\nline3\n");
    const events = await runEvents(s.id, run.id);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 5)).toEqual(["run_queued", "session_started", "message_sent", "run_started", "tool_call_started"]);
    expect(types.slice(-3)).toEqual(["tool_call_completed", "message_received", "run_completed"]);
    const stdout = events
      .filter((e) => e.type === "message_streamed" && e.data.stream === "stdout")
      .map((e) => e.data.delta)
      .join("");
    expect(stdout).toBe("line1\nline2\nline3\n");
    expect(events.every((e) => e.provider === "shell")).toBe(true);
    expect(events.find((e) => e.type === "run_completed")!.data.stop_reason).toBe("exit_code_0");
    const started = events.find((e) => e.type === "tool_call_started")!;
    expect(started.data).toMatchObject({ tool_name: "bash", tool_input: { command: expect.stringContaining("echo line") } });
    const session = await json<{ status: string }>(api(`/v1/sessions/${s.id}`));
    expect(session.status).toBe("active");
  });

  it("fails on a non-zero exit with provider_error and stderr, honouring success_exit_codes", async () => {
    const s = await createSession();
    const failed = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo bad >&2; exit 3" })).id);
    expect(failed.status).toBe("failed");
    expect(failed.error?.provider_error).toMatchObject({ provider: "shell", kind: "process_exit", exit_code: 3, stderr: "bad\n" });
    const types = (await runEvents(s.id, failed.id)).map((e) => e.type);
    expect(types.slice(-3)).toEqual(["tool_call_failed", "error_occurred", "run_failed"]);
    const ok = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: "exit 3", options: { success_exit_codes: [0, 3] } })).id,
    );
    expect(ok.status).toBe("completed");
  });

  it("accepts structured commands and messages input", async () => {
    const s = await createSession();
    const structured = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: { command: "printf", args: ["%s-%s", "a b", "c"], env: { X: "1" } } })).id,
    );
    expect(structured.output?.content).toBe("a b-c");
    // {messages}: every user message's content, joined with newlines, roles matched case-insensitively.
    const messages = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: {
            messages: [
              { role: "user", content: "echo first" },
              { role: "assistant", content: "echo never" },
              { role: "USER", content: "echo $((6*7))" },
            ],
          },
        })
      ).id,
    );
    expect(messages.output?.content).toBe("first\n42\n");
  });

  it("fails a command past its own timeout with command_timeout (not retryable), and a failed exit as not retryable", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: { command: "sleep 5", timeout_ms: 200 } })).id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({
      code: "command_timeout",
      retryable: false,
      provider_error: { provider: "shell", kind: "command_timeout" },
    });
    const failed = (await runEvents(s.id, run.id)).find((e) => e.type === "run_failed")!;
    expect(failed.data.error_code).toBe("command_timeout");
    const exit = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "exit 3" })).id);
    expect(exit.error).toMatchObject({ code: "provider_error", retryable: false });
  });

  it("ends a run past its timeout as timeout with run_timeout, and kills its process", async () => {
    const s = await createSession();
    const id = crypto.randomUUID();
    const marker = `asm-timeout-${id}`;
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: `sleep 30 # ${marker}`, timeout_ms: 300 })).id);
    expect(run.status).toBe("timeout");
    expect(run.error).toMatchObject({ code: "timeout", retryable: true });
    expect((await runEvents(s.id, run.id)).map((e) => e.type)).toContain("run_timeout");
    // "[t]" keeps the checking shell's own command line from matching the pattern.
    const check = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: `pgrep -f "asm-[t]imeout-${id}" || echo gone` })).id,
    );
    expect(check.output?.content).toBe("gone\n");
  });

  it("flags truncated output beyond the output cap", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "head -c 1200000 /dev/zero | tr '\\0' a" })).id);
    expect(run.status).toBe("completed");
    expect(run.output?.truncated).toBe(true);
    expect(String(run.output?.content).length).toBeLessThanOrEqual(1_048_576);
    const streamed = (await runEvents(s.id, run.id))
      .filter((e) => e.type === "message_streamed")
      .map((e) => String(e.data.delta))
      .join("");
    expect(streamed.length).toBe(1_048_576);
    expect(/^a+$/.test(streamed)).toBe(true);
  });

  it("refuses a denied command even when it is also allowed (deny wins)", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "ls && rm -rf important",
          options: { allowed_commands: ["ls", "rm"], denied_commands: ["rm"] },
        })
      ).id,
    );
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("policy_violation");
    expect(run.error?.message).toContain("'rm' is denied");
    const notAllowed = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: "cat /etc/hostname", options: { allowed_commands: ["ls"] } })).id,
    );
    expect(notAllowed.error?.message).toContain("not in the allowed list");
  });
});

describe("queue and slots", () => {
  it("runs two at once with two slots while a third waits, in FIFO order", async () => {
    const s = await createSession({ agent_id: "a", max_concurrent_runs: 2 });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await submitRun(s.id, { provider: "shell", input: `sleep 0.6; echo ${i}` }));
    await untilRun(s.id, runs[1]!.id, (r) => r.status === "running");
    const states = await Promise.all(runs.map((r) => getRun(s.id, r.id)));
    expect(states.map((r) => r.status)).toEqual(["running", "running", "queued"]);
    const done = await Promise.all(runs.map((r) => waitRun(s.id, r.id)));
    expect(done.map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    expect(Date.parse(done[2]!.started_at!)).toBeGreaterThanOrEqual(
      Math.min(Date.parse(done[0]!.ended_at!), Date.parse(done[1]!.ended_at!)) - 5,
    );
  });

  it("cancels a queued run without it ever reaching the provider", async () => {
    const s = await createSession();
    const first = await submitRun(s.id, { provider: "shell", input: "sleep 0.5" });
    const second = await submitRun(s.id, { provider: "shell", input: "echo never" });
    const res = await api(`/v1/sessions/${s.id}/runs/${second.id}/cancel`, { method: "POST" });
    expect((await json<Run>(res)).status).toBe("cancelled");
    await waitRun(s.id, first.id);
    const types = (await runEvents(s.id, second.id)).map((e) => e.type);
    expect(types).toEqual(["run_queued", "run_cancelled"]);
  });

  it("cancels a running run and kills its process", async () => {
    const s = await createSession();
    const id = crypto.randomUUID();
    const marker = `asm-cancel-${id}`;
    const run = await submitRun(s.id, { provider: "shell", input: `echo started; sleep 30 # ${marker}` });
    await untilEvent(s.id, run.id, "message_streamed");
    const cancelled = await json<Run>(api(`/v1/sessions/${s.id}/runs/${run.id}/cancel`, { method: "POST" }));
    expect(cancelled.status).toBe("cancelled");
    expect((await runEvents(s.id, run.id)).at(-1)!.type).toBe("run_cancelled");
    const check = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: `pgrep -f "asm-[c]ancel-${id}" || echo gone` })).id,
    );
    expect(check.output?.content).toBe("gone\n");
  });

  it("returns the same run for a repeated Idempotency-Key", async () => {
    const s = await createSession();
    const a = await submitRun(s.id, { provider: "shell", input: "echo once" }, { "idempotency-key": "k-1" });
    const b = await submitRun(s.id, { provider: "shell", input: "echo once" }, { "idempotency-key": "k-1" });
    expect(b.id).toBe(a.id);
    await waitRun(s.id, a.id);
    const list = await json<{ items: Run[] }>(api(`/v1/sessions/${s.id}/runs`));
    expect(list.items.map((r) => r.id)).toEqual([a.id]);
  });

  it("rejects submissions beyond the queue bound with max_runs_exceeded", async () => {
    const s = await createSession({ agent_id: "a", max_queued_runs: 1 });
    const running = await submitRun(s.id, { provider: "shell", input: "sleep 0.4" });
    await submitRun(s.id, { provider: "shell", input: "true" });
    const res = await api(`/v1/sessions/${s.id}/runs`, { method: "POST", json: { provider: "shell", input: "true" } });
    expect(res.status).toBe(429);
    expect((await json<ErrorBody>(res)).error.code).toBe("max_runs_exceeded");
    await waitRun(s.id, running.id);
  });

  it("fails a run a restart interrupted, and moves the queue on", async () => {
    const s = await createSession();
    const long = await submitRun(s.id, { provider: "shell", input: "sleep 5" });
    const next = await submitRun(s.id, { provider: "shell", input: "echo after" });
    await untilRun(s.id, long.id, (r) => r.status === "running");
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName(`tenant_a:${s.id}`));
    // Reset the object as an eviction or deploy would: in-memory state (the executor) is gone, storage stays.
    await runInDurableObject(stub, (_instance, state) => {
      try {
        state.abort("test reset");
      } catch {
        /* abort throws in the caller by design */
      }
    }).catch(() => undefined);
    const failed = await getRun(s.id, long.id);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toMatch(/interrupted/i);
    expect((await waitRun(s.id, next.id)).output?.content).toBe("after\n");
  });
});

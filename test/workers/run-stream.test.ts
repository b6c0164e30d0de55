import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import { api, createSession, json } from "./helpers";
import { runEvents, waitRun } from "./runs-helpers";

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type Frame = { id: number; type: string; event: Event };

const SSE = { accept: "text/event-stream" };
const TERMINAL = ["run_completed", "run_failed", "run_cancelled", "run_timeout"];

/** Reads SSE frames as they arrive; `next(pred)` returns the frames up to the first that matches. */
function frameReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let ended = false;
  const frames: Frame[] = [];
  let retryHint = false;
  async function pull(): Promise<boolean> {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    buf += decoder.decode(value, { stream: true });
    let idx: number;
    while ((idx = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      if (frame.startsWith("retry:")) retryHint = true;
      const id = frame.match(/^id: (\d+)$/m)?.[1];
      const type = frame.match(/^event: (.*)$/m)?.[1];
      const data = frame.match(/^data: (.*)$/m)?.[1];
      if (id && type && data) frames.push({ id: Number(id), type, event: JSON.parse(data) as Event });
    }
    return true;
  }
  return {
    frames,
    get ended() {
      return ended;
    },
    get retryHint() {
      return retryHint;
    },
    /** Reads until a frame matches `pred` (or the stream ends). */
    async until(pred: (f: Frame) => boolean): Promise<Frame | undefined> {
      for (;;) {
        const found = frames.find(pred);
        if (found) return found;
        if (!(await pull())) return undefined;
      }
    },
    /** Reads until the server closes the stream. */
    async toEnd(): Promise<Frame[]> {
      while (await pull()) {
        /* keep reading */
      }
      return frames;
    },
  };
}

async function submitStreaming(sessionId: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return api(`/v1/sessions/${sessionId}/runs`, { method: "POST", json: body, headers: { ...SSE, ...headers } });
}

function runIdOf(res: Response): string {
  const location = res.headers.get("location") ?? "";
  const id = location.split("/").at(-1) ?? "";
  expect(id).toMatch(/^run_[0-9a-f]{32}$/);
  return id;
}

describe("create-and-stream (POST …/runs with Accept: text/event-stream)", () => {
  it("streams every event of the new run in order, from run_queued to its end, then closes", async () => {
    const s = await createSession();
    const res = await submitStreaming(s.id, { provider: "shell", input: "echo streamed && echo twice" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const runId = runIdOf(res);
    const reader = frameReader(res);
    const frames = await reader.toEnd();
    expect(reader.retryHint).toBe(true);
    expect(frames[0]!.type).toBe("run_queued");
    expect(frames.at(-1)!.type).toBe("run_completed");
    expect(frames.map((f) => f.type)).toContain("run_started");
    expect(frames.filter((f) => TERMINAL.includes(f.type))).toHaveLength(1);
    for (const f of frames) {
      expect(f.event.run_id).toBe(runId);
      expect(f.event.sequence).toBe(f.id);
      expect(f.event.type).toBe(f.type);
    }
    const ids = frames.map((f) => f.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // The same events the JSON read returns for the run, none missing, none repeated.
    const logged = await runEvents(s.id, runId);
    expect(ids).toEqual(logged.map((e) => e.sequence));
    expect((await waitRun(s.id, runId)).status).toBe("completed");
  }, 60_000);

  it("streams only the new run's events, not other runs' or the session's", async () => {
    const s = await createSession();
    const first = await json<Run>(
      api(`/v1/sessions/${s.id}/runs?wait=true&timeout_ms=30000`, { method: "POST", json: { provider: "shell", input: "echo first" } }),
    );
    expect(first.status).toBe("completed");
    await api(`/v1/sessions/${s.id}/events`, {
      method: "POST",
      json: { events: [{ type: "message_sent", data: { role: "user", content: "a note" } }] },
    });
    const res = await submitStreaming(s.id, { provider: "shell", input: "echo second" });
    const runId = runIdOf(res);
    const frames = await frameReader(res).toEnd();
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.every((f) => f.event.run_id === runId)).toBe(true);
    expect(frames.at(-1)!.type).toBe("run_completed");
  }, 60_000);

  it("ends at run_failed for a failing command", async () => {
    const s = await createSession();
    const res = await submitStreaming(s.id, { provider: "shell", input: "exit 3" });
    const frames = await frameReader(res).toEnd();
    expect(frames[0]!.type).toBe("run_queued");
    expect(frames.at(-1)!.type).toBe("run_failed");
  }, 60_000);

  it("a run waiting for approval keeps the stream open until someone decides", async () => {
    const s = await createSession();
    const gate = { name: "gate", tool_rules: [{ deny: ["Bash"] }], on_violation: "request_approval" };
    const res = await submitStreaming(s.id, { provider: "shell", input: "echo approved-output", policy: gate });
    const runId = runIdOf(res);
    const reader = frameReader(res);
    const request = await reader.until((f) => f.type === "tool_approval_requested");
    expect(request).toBeDefined();
    expect(reader.ended).toBe(false);
    expect(reader.frames.some((f) => TERMINAL.includes(f.type))).toBe(false);
    const toolCallId = request!.event.data.tool_call_id as string;
    const decided = await api(`/v1/sessions/${s.id}/runs/${runId}/approvals/${toolCallId}`, {
      method: "POST",
      json: { decision: "grant" },
    });
    expect(decided.status).toBe(200);
    const frames = await reader.toEnd();
    const types = frames.map((f) => f.type);
    expect(types.indexOf("tool_approval_granted")).toBeGreaterThan(types.indexOf("tool_approval_requested"));
    expect(types.at(-1)).toBe("run_completed");
  }, 60_000);

  it("a repeated Idempotency-Key streams the run it created, from its start", async () => {
    const s = await createSession();
    const body = { provider: "shell", input: "echo once" };
    const first = await submitStreaming(s.id, body, { "idempotency-key": "stream-key-1" });
    const firstFrames = await frameReader(first).toEnd();
    const again = await submitStreaming(s.id, body, { "idempotency-key": "stream-key-1" });
    expect(again.status).toBe(200);
    expect(runIdOf(again)).toBe(runIdOf(first));
    const againFrames = await frameReader(again).toEnd();
    expect(againFrames.map((f) => f.id)).toEqual(firstFrames.map((f) => f.id));
    const runs = await json<{ items: Run[] }>(api(`/v1/sessions/${s.id}/runs`));
    expect(runs.items).toHaveLength(1);
  }, 60_000);

  it("a client cut off midway resumes with the events read and Last-Event-ID", async () => {
    const s = await createSession();
    const res = await submitStreaming(s.id, { provider: "shell", input: "echo resume" });
    const runId = runIdOf(res);
    const reader = frameReader(res);
    const first = await reader.until(() => true);
    await res.body!.cancel().catch(() => undefined);
    await waitRun(s.id, runId, 30_000);
    const resumed = await api(`/v1/sessions/${s.id}/events?run_id=${runId}`, { headers: { ...SSE, "last-event-id": String(first!.id) } });
    const rest = await frameReader(resumed).until((f) => TERMINAL.includes(f.type));
    expect(rest?.type).toBe("run_completed");
    await resumed.body!.cancel().catch(() => undefined);
  }, 60_000);

  it("errors before the run is stored stay JSON 4xx", async () => {
    const s = await createSession();
    const bad = await submitStreaming(s.id, { provider: "shell" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/json");
    expect((await json<ErrorBody>(bad)).error.code).toBe("validation_error");

    const both = await api(`/v1/sessions/${s.id}/runs?wait=true`, {
      method: "POST",
      json: { provider: "shell", input: "true" },
      headers: SSE,
    });
    expect(both.status).toBe(400);
    expect((await json<ErrorBody>(both)).error).toMatchObject({
      code: "conflicting_parameters",
      details: { parameters: ["wait", "accept"] },
    });

    const missing = await submitStreaming("ses_00000000000000000000000000000000", { provider: "shell", input: "true" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/json");

    // Nothing was stored by the refused submissions.
    const runs = await json<{ items: Run[] }>(api(`/v1/sessions/${s.id}/runs`));
    expect(runs.items).toEqual([]);
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import type { Session } from "../../src/core/session";
import type { ForkResult } from "../../src/core/session-fork";
import { api, appendEvents, createSession, json, KEY_B, note, readEvents } from "./helpers";
import { runEvents, submitRun, untilEvent, waitRun } from "./runs-helpers";

async function fork(sessionId: string, atSequence: number): Promise<ForkResult> {
  const res = await api(`/v1/sessions/${sessionId}/fork`, { method: "POST", json: { at_sequence: atSequence } });
  if (res.status !== 201) throw new Error(`fork: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as ForkResult;
  expect(res.headers.get("location")).toBe(`/v1/sessions/${body.session.id}`);
  return body;
}

async function sh(sessionId: string, command: string, extra: Record<string, unknown> = {}): Promise<Run> {
  const run = await waitRun(sessionId, (await submitRun(sessionId, { provider: "shell", input: command, ...extra })).id, 60_000);
  if (run.status !== "completed") throw new Error(`command failed: ${command}: ${JSON.stringify(run.error)}`);
  return run;
}

async function allEvents(sessionId: string): Promise<Event[]> {
  return (await readEvents(sessionId, "after=0&limit=1000")).events;
}

const INIT_REPO = [
  "git init -q repo && cd repo",
  "git config user.email t@example.com && git config user.name t",
  "echo v1 > a.txt && git add . && git commit -qm init",
].join(" && ");

describe("fork", () => {
  it("copies events 1..N with their sequences and the runs they reference; the fork continues at N+1", { timeout: 90_000 }, async () => {
    const source = await createSession({ agent_id: "forker", tags: ["t1"], metadata: { team: "x" } });
    await appendEvents(source.id, [note("first"), note("second")]);
    const early = await sh(source.id, "echo early");
    const cut = (await allEvents(source.id)).at(-1)!.sequence;
    await appendEvents(source.id, [note("after the cut")]);
    const late = await sh(source.id, "echo late");
    const before = await allEvents(source.id);

    const result = await fork(source.id, cut);
    const f = result.session;
    expect(f.id).not.toBe(source.id);
    expect(f).toMatchObject({ agent_id: "forker", tags: ["t1"], status: "active", last_sequence: cut, tenant_id: source.tenant_id });
    expect(f.metadata).toMatchObject({ team: "x", forked_from: { session_id: source.id, at_sequence: cut, workspace: "none" } });
    expect(result).toMatchObject({
      forked_from: { session_id: source.id, at_sequence: cut },
      run_count: 1,
      event_count: cut,
      workspace: { status: "none" },
    });
    expect(Object.keys(result.run_ids)).toEqual([early.id]);

    // Events 1..N: same ids, sequences, types and data; run ids mapped to the fork's runs.
    const copied = await allEvents(f.id);
    const expected = before.filter((e) => e.sequence <= cut);
    expect(copied.map((e) => [e.sequence, e.id, e.type, e.data])).toEqual(expected.map((e) => [e.sequence, e.id, e.type, e.data]));
    for (const [i, e] of copied.entries()) {
      const original = expected[i]!;
      expect(e.run_id).toBe(original.run_id === null ? null : result.run_ids[original.run_id]);
    }
    const forkRuns = (await json<{ items: Run[] }>(api(`/v1/sessions/${f.id}/runs`))).items;
    expect(forkRuns.map((r) => [r.id, r.status, r.output?.content])).toEqual([[result.run_ids[early.id], "completed", "early\n"]]);
    expect(forkRuns.some((r) => r.id === late.id)).toBe(false);

    // The fork's transcript holds what happened up to N only.
    const transcript = JSON.stringify(await json(api(`/v1/sessions/${f.id}/transcript`)));
    expect(transcript).toContain("second");
    expect(transcript).not.toContain("after the cut");

    // New events continue after N, in the fork only; the source is untouched.
    const [next] = await appendEvents(f.id, [note("in the fork")]);
    expect(next!.sequence).toBe(cut + 1);
    const continued = await sh(f.id, "echo in-fork");
    expect(continued.status).toBe("completed");
    expect((await allEvents(source.id)).map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect((await json<Session>(api(`/v1/sessions/${f.id}`))).metadata.forked_from).toMatchObject({
      session_id: source.id,
      at_sequence: cut,
    });
  });

  it("a run that had not ended at N is cancelled in the fork, without its output", { timeout: 90_000 }, async () => {
    const source = await createSession();
    const run = await sh(source.id, "echo done-later");
    const started = (await runEvents(source.id, run.id)).find((e) => e.type === "run_started")!;
    const result = await fork(source.id, started.sequence);
    const copy = await json<Run>(api(`/v1/sessions/${result.session.id}/runs/${result.run_ids[run.id]}`));
    expect(copy).toMatchObject({ status: "cancelled", output: null, error: { code: "cancelled" } });
    expect(copy.error!.message).toContain(`sequence ${started.sequence}`);
    // Nothing is queued or running in the fork: it takes a new run at once.
    expect((await sh(result.session.id, "echo fresh")).output?.content).toBe("fresh\n");
  });

  it("a run rolled back in the source stays out of the fork's transcript", { timeout: 120_000 }, async () => {
    const source = await createSession();
    await sh(
      source.id,
      "git init -q repo && cd repo && git config user.email t@e && git config user.name t && echo one > f.txt && git add . && git commit -qm init",
    );
    const victim = await submitRun(source.id, {
      provider: "shell",
      input: "cd repo && echo marker-victim && sleep 30",
      workspace: { path: "repo", backend: "git", snapshot: true },
    });
    await untilEvent(source.id, victim.id, "message_streamed", 30_000);
    const next = await submitRun(source.id, { provider: "shell", input: "echo marker-next", multitask: "rollback" });
    expect((await waitRun(source.id, next.id, 60_000)).status).toBe("completed");
    const result = await fork(source.id, (await allEvents(source.id)).at(-1)!.sequence);
    const copy = await json<Run>(api(`/v1/sessions/${result.session.id}/runs/${result.run_ids[victim.id]}`));
    expect(copy.metadata).toMatchObject({ rolled_back: true });
    const text = JSON.stringify(await json(api(`/v1/sessions/${result.session.id}/transcript`)));
    expect(text).toContain("marker-next");
    expect(text).not.toContain("marker-victim");
  });

  it("refuses a sequence beyond the latest, bad bodies, unknown and other tenants' sessions", { timeout: 60_000 }, async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("one")]);
    const latest = (await allEvents(s.id)).at(-1)!.sequence;
    const beyond = await api(`/v1/sessions/${s.id}/fork`, { method: "POST", json: { at_sequence: latest + 1 } });
    expect(beyond.status).toBe(400);
    const body = await json<{ error: { code: string; details: Record<string, unknown> } }>(beyond);
    expect(body.error).toMatchObject({ code: "sequence_out_of_range", details: { at_sequence: latest + 1, latest_sequence: latest } });
    for (const bad of [{}, { at_sequence: 0 }, { at_sequence: 1.5 }, { at_sequence: "1" }, { at_sequence: 1, extra: true }]) {
      const res = await api(`/v1/sessions/${s.id}/fork`, { method: "POST", json: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe("validation_error");
    }
    expect((await api(`/v1/sessions/${s.id}/fork`, { method: "POST", json: { at_sequence: 1 }, key: KEY_B })).status).toBe(404);
    expect((await api(`/v1/sessions/ses_${"0".repeat(32)}/fork`, { method: "POST", json: { at_sequence: 1 } })).status).toBe(404);
    // A deleted session cannot be forked either.
    expect((await api(`/v1/sessions/${s.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await api(`/v1/sessions/${s.id}/fork`, { method: "POST", json: { at_sequence: 1 } })).status).toBe(404);
  });

  it("restores the workspace to the last git snapshot at or before N", { timeout: 240_000 }, async () => {
    const source = await createSession();
    await sh(source.id, INIT_REPO);
    const snap = { path: "repo", backend: "git", snapshot: true };
    const second = await sh(source.id, "cd repo && echo v2 > a.txt && echo new > b.txt", { workspace: snap });
    await sh(source.id, "cd repo && echo v3 > a.txt && rm b.txt && git add -A && git commit -qm three", { workspace: snap });
    const snaps = (await runEvents(source.id, second.id)).filter((e) => e.type === "workspace_snapshot_taken");
    const [beforeSecond, afterSecond] = snaps;
    // The source's own snapshot holds what the second run wrote (a failure here is the snapshot's, not the fork's).
    const inSnapshot = await sh(source.id, `cd repo && git show ${afterSecond!.data.ref}:a.txt ${afterSecond!.data.ref}:b.txt`);
    expect(inSnapshot.output?.content).toBe("v2\nnew\n");

    // Just after the second run's "after" snapshot: v2 and b.txt, uncommitted, on top of the history as it was.
    const atAfter = await fork(source.id, afterSecond!.sequence);
    expect(atAfter.workspace).toMatchObject({
      status: "restored",
      snapshot_sequence: afterSecond!.sequence,
      ref: afterSecond!.data.ref,
      path: "repo",
    });
    const seen = (await sh(atAfter.session.id, "cd repo && cat a.txt b.txt && git log --format=%s && git status --porcelain")).output
      ?.content;
    expect(seen).toBe("v2\nnew\ninit\n M a.txt\n?? b.txt\n");

    // At the "before" snapshot: the committed state.
    const atBefore = await fork(source.id, beforeSecond!.sequence);
    const then = (await sh(atBefore.session.id, "cd repo && cat a.txt && ls && git status --porcelain")).output?.content;
    expect(then).toBe("v1\na.txt\n");

    // The source's workspace is as its last run left it.
    expect((await sh(source.id, "cd repo && cat a.txt && git log --format=%s")).output?.content).toBe("v3\nthree\ninit\n");
  });
});

import { describe, expect, it } from "vitest";
import { api, createSession, json } from "./helpers";
import { runEvents, submitRun, waitRun } from "./runs-helpers";

async function sh(sessionId: string, command: string) {
  const run = await waitRun(sessionId, (await submitRun(sessionId, { provider: "shell", input: command })).id);
  if (run.status !== "completed") throw new Error(`setup command failed: ${JSON.stringify(run.error)}`);
  return String(run.output?.content ?? "");
}

const INIT_REPO = [
  "git init -q repo && cd repo",
  "git config user.email t@example.com && git config user.name t",
  "printf 'one\\ntwo\\nthree\\n' > tracked.txt && echo 'build/' > .gitignore",
  "git add . && git commit -qm init",
].join(" && ");

type Diff = {
  files_changed: number;
  insertions: number;
  deletions: number;
  added: string[];
  modified: string[];
  deleted: string[];
  patch: string | null;
  patch_ref: string | null;
};

describe("workspace snapshots and diffs", () => {
  it("diffs a git workspace including untracked files, leaves ignored paths, HEAD and the index alone", async () => {
    const s = await createSession();
    await sh(s.id, INIT_REPO);
    const headBefore = await sh(s.id, "cd repo && git rev-parse HEAD && git status --porcelain");
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input:
            "cd repo && printf 'one\\nTWO\\nthree\\nfour\\n' > tracked.txt && echo new > untracked.txt && mkdir -p build && echo junk > build/out.bin",
          workspace: { path: "repo", backend: "git", snapshot: true },
        })
      ).id,
    );
    expect(run.status).toBe("completed");
    const events = await runEvents(s.id, run.id);
    const snaps = events.filter((e) => e.type === "workspace_snapshot_taken");
    expect(snaps.map((e) => e.data.label)).toEqual(["before", "after"]);
    expect(snaps[0]!.data.metadata).toMatchObject({ includes_untracked: true });
    const diffEvent = events.find((e) => e.type === "workspace_diff_computed")!;
    expect(diffEvent.data).toMatchObject({
      files_changed: 2,
      added: ["untracked.txt"],
      modified: ["tracked.txt"],
      deleted: [],
      has_patch: true,
    });
    const diff = await json<Diff>(api(`/v1/sessions/${s.id}/runs/${run.id}/diff`));
    expect(diff.insertions).toBe(3);
    expect(diff.deletions).toBe(1);
    expect(diff.patch).toContain("+TWO");
    expect(diff.patch).not.toContain("build/out.bin");
    // The snapshot used a separate index: HEAD and the real index are as the run left them, with no new commit.
    const after = await sh(s.id, "cd repo && git rev-parse HEAD && git status --porcelain");
    expect(after.split("\n")[0]).toBe(headBefore.split("\n")[0]);
    expect(after).toContain("?? untracked.txt");
    expect(after).toContain(" M tracked.txt");
  });

  it("stores a large patch in R2 and serves it back through the diff and the artifact route", async () => {
    const s = await createSession();
    await sh(s.id, INIT_REPO);
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "cd repo && seq 1 20000 > big.txt",
          workspace: { path: "repo", snapshot: true },
        })
      ).id,
    );
    const diffEvent = (await runEvents(s.id, run.id)).find((e) => e.type === "workspace_diff_computed")!;
    const key = diffEvent.data.patch_ref as string;
    expect(key).toMatch(/^patch_/);
    expect((run.metadata.workspace as { patch: unknown }).patch).toBeNull();
    const diff = await json<Diff>(api(`/v1/sessions/${s.id}/runs/${run.id}/diff`));
    expect(diff.patch).toContain("+19999");
    expect(diff.patch!.length).toBeGreaterThan(65_536);
    const artifact = await api(`/v1/artifacts/${key}`);
    expect(artifact.status).toBe(200);
    expect(await artifact.text()).toBe(diff.patch);
    expect((await api(`/v1/artifacts/${key}`, { key: "test_key_b" })).status).toBe(404);
    expect((await runEvents(s.id, run.id)).some((e) => e.type === "artifact_stored")).toBe(true);
  });

  it("rolls back to the pre-run snapshot when the run fails", async () => {
    const s = await createSession();
    await sh(s.id, INIT_REPO);
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "cd repo && echo broken > tracked.txt && echo stray > stray.txt && exit 1",
          workspace: { path: "repo", backend: "git", snapshot: true, rollback_on_failure: true },
        })
      ).id,
    );
    expect(run.status).toBe("failed");
    expect((run.metadata.workspace as { rolled_back: boolean }).rolled_back).toBe(true);
    expect(await sh(s.id, "cd repo && cat tracked.txt && ls")).toBe("one\ntwo\nthree\ntracked.txt\n");
    const labels = (await runEvents(s.id, run.id)).filter((e) => e.type === "workspace_snapshot_taken").map((e) => e.data.label);
    expect(labels).toEqual(["before", "after_failure", "rolled_back"]);
  });

  it("uses content hashes outside git, honouring ignore globs", async () => {
    const s = await createSession();
    await sh(s.id, "mkdir -p plain/logs && echo a > plain/a.txt && echo x > plain/logs/x.log");
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "cd plain && echo b > b.txt && echo changed > a.txt && echo y >> logs/x.log",
          workspace: { path: "plain", backend: "hash", snapshot: true, ignore: { globs: ["**/*.log"] } },
        })
      ).id,
    );
    const diff = (await runEvents(s.id, run.id)).find((e) => e.type === "workspace_diff_computed")!.data;
    expect(diff).toMatchObject({ backend: "hash", added: ["b.txt"], modified: ["a.txt"], deleted: [], has_patch: false });
  });
});

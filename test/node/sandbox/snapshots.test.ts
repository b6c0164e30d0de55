import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GIT_HEAVY_MS, gitIn, handBack, startTestSandbox, type TestSandbox } from "./helpers";

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  await sb.stop();
});

/** A repository with one commit, a modified tracked file, an untracked file and an ignored file. */
function makeRepo(ws: string): string {
  const dir = join(sb.root, ws, "repo");
  mkdirSync(dir, { recursive: true });
  gitIn(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, ".gitignore"), "ignored.log\n");
  writeFileSync(join(dir, "tracked.txt"), "line1\nline2\nline3\n");
  gitIn(dir, "add", "-A");
  gitIn(dir, "commit", "-q", "-m", "init");
  writeFileSync(join(dir, "tracked.txt"), "line1\nline2 changed\nline3\n");
  gitIn(dir, "add", "tracked.txt"); // something staged, to prove the real index is left alone
  writeFileSync(join(dir, "untracked.txt"), "new file\n");
  writeFileSync(join(dir, "ignored.log"), "noise\n");
  return dir;
}

function repoState(dir: string) {
  return {
    head: gitIn(dir, "rev-parse", "HEAD"),
    branch: gitIn(dir, "symbolic-ref", "HEAD"),
    index: readFileSync(join(dir, ".git", "index")).toString("base64"),
    status: gitIn(dir, "status", "--porcelain"),
  };
}

describe("git snapshots", () => {
  it("sees a file rewritten with the same size within the second of the last git add (git's racy-clean rule)", async () => {
    // Git trusts a cached stat only for entries older than the index file, comparing whole seconds. The snapshot's
    // temporary index is a copy of the real one: with a fresh mtime on the copy, the rewrite below looked unchanged.
    // The setup runs as the workspace's user (a test-side chown would change the file's owner and ctime) and starts
    // early in a second, so the commit and the rewrite share it; the snapshot is taken in a later second.
    const setup = [
      'while [ "$(date +%N | cut -c1)" != 0 ]; do :; done',
      "git init -q repo && cd repo && git config user.email t@t && git config user.name t",
      "echo v1 > a.txt && git add -A && git commit -qm init && echo v2 > a.txt",
      'echo "$(stat -c %Y a.txt) $(stat -c %Y .git/index)"',
    ].join(" && ");
    const run = await sb.call("POST", "/exec", { workspace: "racy", body: { command: setup, timeout_ms: GIT_HEAVY_MS } });
    expect(run.body.exit_code, run.body.stderr).toBe(0);
    const [fileSecond, indexSecond] = run.body.stdout.trim().split(" ");
    expect(fileSecond).toBe(indexSecond);
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git" }, workspace: "racy" });
    expect(res.status).toBe(200);
    expect(gitIn(join(sb.root, "racy", "repo"), "show", `${res.body.ref}:a.txt`)).toBe("v2\n");
  });

  it("a .git/index planted as a symlink to a host file is never followed: nothing of the file reaches the workspace", async () => {
    // A host file only root may read, outside every workspace (the jail's /tmp is its own, so the path leads nowhere there).
    const secretDir = mkdtempSync(join(tmpdir(), "asm-host-secret-"));
    const secret = join(secretDir, "secret");
    const marker = `host-only-${Date.now()}`;
    writeFileSync(secret, marker, { mode: 0o600 });
    try {
      const setup = [
        "git init -q repo && cd repo && git config user.email t@t && git config user.name t",
        "echo v1 > a.txt && git add -A && git commit -qm init",
        `rm .git/index && ln -s ${secret} .git/index`,
      ].join(" && ");
      const made = await sb.call("POST", "/exec", { workspace: "planted", body: { command: setup, timeout_ms: GIT_HEAVY_MS } });
      expect(made.body.exit_code, made.body.stderr).toBe(0);
      // A process of the workspace copies whatever temporary index appears while the snapshot runs.
      const watch =
        'end=$(($(date +%s)+4)); while [ "$(date +%s)" -lt "$end" ]; do cat repo/.git/asm-index-* >> leak 2>/dev/null; done; true';
      const watcher = sb.call("POST", "/exec", { workspace: "planted", body: { command: watch, timeout_ms: 10_000 } });
      await new Promise((r) => setTimeout(r, 500));
      const res = await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git" }, workspace: "planted" });
      expect((await watcher).body.exit_code).toBe(0);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const dir = join(sb.root, "planted", "repo");
      expect(gitIn(dir, "show", `${res.body.ref}:a.txt`)).toBe("v1\n");
      const leak = join(sb.root, "planted", "leak");
      expect(existsSync(leak) ? readFileSync(leak, "utf8") : "").not.toContain(marker);
      // The host file is as it was: same content, still root's, still 0600.
      expect(readFileSync(secret, "utf8")).toBe(marker);
      expect(statSync(secret).uid).toBe(0);
      expect(statSync(secret).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
  });

  it("refuses a repository whose git folder is outside the workspace: the server writes nothing there", async () => {
    // A git folder on the host that the jail sees read-only (/usr is bound in), with a regular index file: a
    // workspace's `.git` file may name it. The old code wrote its temporary index beside it, as root, on the host.
    mkdirSync("/usr/local/share", { recursive: true });
    const outside = mkdtempSync("/usr/local/share/asm-gitdir-");
    chmodSync(outside, 0o755);
    try {
      execFileSync("git", ["init", "-q", `--separate-git-dir=${join(outside, "g.git")}`, join(outside, "worktree")]);
      writeFileSync(join(outside, "g.git", "index"), "not a workspace file");
      const before = readdirSync(join(outside, "g.git")).sort();
      const seen: string[] = [];
      const watcher = watch(join(outside, "g.git"), (_event, name) => name && seen.push(String(name)));
      try {
        const setup = `mkdir -p repo && cd repo && echo v1 > a.txt && printf 'gitdir: ${outside}/g.git\\n' > .git && git -c safe.directory='*' rev-parse --git-dir`;
        const made = await sb.call("POST", "/exec", { workspace: "gitdir-outside", body: { command: setup, timeout_ms: GIT_HEAVY_MS } });
        expect(made.body.exit_code, made.body.stderr).toBe(0);
        expect(made.body.stdout.trim()).toBe(`${outside}/g.git`);
        const res = await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git" }, workspace: "gitdir-outside" });
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(res.body.error.code).toBe("forbidden");
      } finally {
        watcher.close();
      }
      expect(seen).toEqual([]);
      expect(readdirSync(join(outside, "g.git")).sort()).toEqual(before);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("captures untracked files through a separate index and leaves HEAD, index and status untouched", async () => {
    const dir = makeRepo("g1");
    const before = repoState(dir);
    const res = await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git", label: "before" }, workspace: "g1" });
    expect(res.status).toBe(200);
    const snap = res.body;
    expect(snap).toMatchObject({ backend: "git", path: "repo", label: "before" });
    expect(snap.metadata).toMatchObject({
      head_ref: before.head.trim(),
      head_branch: "refs/heads/main",
      dirty: true,
      includes_untracked: true,
    });
    expect(Date.parse(snap.captured_at)).not.toBeNaN();
    const files = gitIn(dir, "ls-tree", "-r", "--name-only", snap.ref).trim().split("\n");
    expect(files.sort()).toEqual([".gitignore", "tracked.txt", "untracked.txt"]);
    expect(gitIn(dir, "show", `${snap.ref}:tracked.txt`)).toBe("line1\nline2 changed\nline3\n");
    expect(gitIn(dir, "rev-parse", `${snap.ref}^`).trim()).toBe(before.head.trim());
    expect(gitIn(dir, "rev-parse", `refs/asm/snapshots/${snap.ref}`).trim()).toBe(snap.ref);
    expect(repoState(dir)).toEqual(before);
  });

  it("auto picks git inside a repository and hash elsewhere", async () => {
    makeRepo("g2");
    mkdirSync(join(sb.root, "g2", "plain"), { recursive: true });
    const inRepo = await sb.call("POST", "/workspace/snapshot", { body: { path: "repo" }, workspace: "g2" });
    expect(inRepo.body.backend).toBe("git");
    const plain = await sb.call("POST", "/workspace/snapshot", { body: { path: "plain", backend: "auto" }, workspace: "g2" });
    expect(plain.body.backend).toBe("hash");
    const forced = await sb.call("POST", "/workspace/snapshot", { body: { path: "plain", backend: "git" }, workspace: "g2" });
    expect(forced.status).toBe(400);
  });

  it(
    "diffs two snapshots with real counts and a unified patch",
    async () => {
      const dir = makeRepo("g3");
      const snap = (body: object) =>
        sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git", ...body }, workspace: "g3" });
      const a = (await snap({ label: "a" })).body;
      writeFileSync(join(dir, "tracked.txt"), "line1\nline2 changed again\nline3\nline4\n");
      rmSync(join(dir, "untracked.txt"));
      mkdirSync(join(dir, "src"));
      writeFileSync(join(dir, "src", "new.ts"), "export const x = 1;\nexport const y = 2;\n");
      writeFileSync(join(dir, "ignored.log"), "more noise\n");
      const b = (await snap({ label: "b" })).body;
      const res = await sb.call("POST", "/workspace/diff", { body: { from: a, to: b }, workspace: "g3" });
      expect(res.status).toBe(200);
      const diff = res.body;
      expect(diff).toMatchObject({
        backend: "git",
        from_ref: a.ref,
        to_ref: b.ref,
        files_changed: 3,
        added: ["src/new.ts"],
        modified: ["tracked.txt"],
        deleted: ["untracked.txt"],
        changed_paths: ["src/new.ts", "tracked.txt", "untracked.txt"],
        // tracked: -1 +2; new.ts: +2; untracked: -1
        insertions: 4,
        deletions: 2,
      });
      expect(diff.patch).toContain("diff --git a/tracked.txt b/tracked.txt");
      expect(diff.patch).toContain("-line2 changed\n+line2 changed again\n");
      expect(diff.patch).toContain("+export const y = 2;");
      const noPatch = await sb.call("POST", "/workspace/diff", { body: { from: a, to: b, capture_patch: false }, workspace: "g3" });
      expect(noPatch.body.patch).toBeNull();
      expect(noPatch.body.insertions).toBe(4);
      const capped = await sb.call("POST", "/workspace/diff", { body: { from: a, to: b, max_patch_bytes: 50 }, workspace: "g3" });
      expect(Buffer.byteLength(capped.body.patch)).toBeLessThanOrEqual(50);
      expect(capped.body.metadata.patch_truncated).toBe(true);
    },
    GIT_HEAVY_MS,
  );

  it(
    "rolls back: restores files, removes files created later, keeps HEAD, keeps a safety ref",
    async () => {
      const dir = makeRepo("g4");
      const head = gitIn(dir, "rev-parse", "HEAD");
      const statusBefore = gitIn(dir, "status", "--porcelain");
      const snap = (await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git" }, workspace: "g4" })).body;
      writeFileSync(join(dir, "tracked.txt"), "ruined\n");
      rmSync(join(dir, "untracked.txt"));
      mkdirSync(join(dir, "later", "nested"), { recursive: true });
      writeFileSync(join(dir, "later", "nested", "x.txt"), "created after\n");
      writeFileSync(join(dir, "after.txt"), "created after\n");
      handBack(dir);
      const res = await sb.call("POST", "/workspace/rollback", { body: { snapshot: snap }, workspace: "g4" });
      expect(res.status).toBe(200);
      expect(res.body.restored_ref).toBe(snap.ref);
      expect(res.body.removed.sort()).toEqual(["after.txt", "later/nested/x.txt"]);
      expect(readFileSync(join(dir, "tracked.txt"), "utf8")).toBe("line1\nline2 changed\nline3\n");
      expect(readFileSync(join(dir, "untracked.txt"), "utf8")).toBe("new file\n");
      expect(existsSync(join(dir, "after.txt"))).toBe(false);
      expect(existsSync(join(dir, "later"))).toBe(false);
      expect(existsSync(join(dir, "ignored.log"))).toBe(true);
      expect(gitIn(dir, "rev-parse", "HEAD")).toBe(head);
      expect(gitIn(dir, "status", "--porcelain")).toBe(statusBefore);
      const safety = res.body.safety_snapshot;
      expect(gitIn(dir, "show", `${safety.ref}:tracked.txt`)).toBe("ruined\n");
      expect(gitIn(dir, "for-each-ref", "--format=%(refname)", "refs/asm/safety/").trim()).toBe(`refs/asm/safety/${safety.ref}`);
      // The state after rollback is the snapshot's: a fresh snapshot has the same tree.
      const again = (await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git" }, workspace: "g4" })).body;
      expect(again.metadata.tree).toBe(snap.metadata.tree);
    },
    GIT_HEAVY_MS,
  );

  it("works in a repository without commits", async () => {
    const dir = join(sb.root, "g5", "fresh");
    mkdirSync(dir, { recursive: true });
    gitIn(dir, "init", "-q");
    writeFileSync(join(dir, "a.txt"), "a\n");
    const res = await sb.call("POST", "/workspace/snapshot", { body: { path: "fresh", backend: "git" }, workspace: "g5" });
    expect(res.body.metadata).toMatchObject({ head_ref: null, dirty: true });
    expect(gitIn(dir, "show", `${res.body.ref}:a.txt`)).toBe("a\n");
  });

  it("answers 404 for a snapshot ref the repository does not have", async () => {
    makeRepo("g6");
    const snap = (await sb.call("POST", "/workspace/snapshot", { body: { path: "repo", backend: "git" }, workspace: "g6" })).body;
    const bogus = { ...snap, ref: "0".repeat(40) };
    const res = await sb.call("POST", "/workspace/diff", { body: { from: snap, to: bogus }, workspace: "g6" });
    expect(res.status).toBe(404);
  });
});

describe("hash snapshots", () => {
  function makeTree(ws: string): string {
    const dir = join(sb.root, ws, "proj");
    for (const [path, content] of Object.entries({
      "a.txt": "a",
      "src/b.ts": "b",
      "src/deep/c.ts": "c",
      "app.log": "log",
      "src/deep/d.log": "log",
      "node_modules/pkg/index.js": "x",
      "pkg/node_modules/m.js": "x",
      ".git/HEAD": "x",
      "tmp/cache.bin": "x",
      "build/out/x.js": "x",
      "build/keep.js": "k",
    })) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  }

  it("hashes every file outside the default and requested ignore rules", async () => {
    makeTree("h1");
    const res = await sb.call("POST", "/workspace/snapshot", {
      body: { path: "proj", backend: "hash", label: "h", ignore: { paths: ["build/out"], globs: ["*.log", "tmp/**"] } },
      workspace: "h1",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ backend: "hash", path: "proj", label: "h" });
    expect(res.body.ref).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.metadata.file_count).toBe(4); // a.txt, src/b.ts, src/deep/c.ts, build/keep.js
    // The manifest lives outside every workspace.
    expect(existsSync(join(sb.root, ".asm-snapshots", "h1", `${res.body.ref}.json`))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(sb.root, ".asm-snapshots", "h1", `${res.body.ref}.json`), "utf8"));
    expect(Object.keys(manifest.files).sort()).toEqual(["a.txt", "build/keep.js", "src/b.ts", "src/deep/c.ts"]);
  });

  it("gives the same ref for the same content and diffs by path only", async () => {
    const dir = makeTree("h2");
    const snap = async () =>
      (
        await sb.call("POST", "/workspace/snapshot", {
          body: { path: "proj", backend: "hash", ignore: { globs: ["**/*.log"] } },
          workspace: "h2",
        })
      ).body;
    const a = await snap();
    expect((await snap()).ref).toBe(a.ref);
    writeFileSync(join(dir, "a.txt"), "changed");
    rmSync(join(dir, "src", "b.ts"));
    writeFileSync(join(dir, "src", "new.ts"), "new");
    writeFileSync(join(dir, "app.log"), "ignored change");
    writeFileSync(join(dir, "node_modules", "pkg", "index.js"), "ignored change");
    const b = await snap();
    expect(statSync(join(dir, "a.txt")).size).toBe(7);
    const diff = (await sb.call("POST", "/workspace/diff", { body: { from: a, to: b }, workspace: "h2" })).body;
    expect(diff).toEqual({
      backend: "hash",
      from_ref: a.ref,
      to_ref: b.ref,
      files_changed: 3,
      insertions: 0,
      deletions: 0,
      added: ["src/new.ts"],
      modified: ["a.txt"],
      deleted: ["src/b.ts"],
      changed_paths: ["a.txt", "src/b.ts", "src/new.ts"],
      patch: null,
      metadata: {},
    });
  });

  it("refuses rollback and cross-backend diffs with validation_error", async () => {
    makeTree("h3");
    const snap = (await sb.call("POST", "/workspace/snapshot", { body: { path: "proj", backend: "hash" }, workspace: "h3" })).body;
    const rollback = await sb.call("POST", "/workspace/rollback", { body: { snapshot: snap }, workspace: "h3" });
    expect(rollback.status).toBe(400);
    expect(rollback.body.error.code).toBe("validation_error");
    const missing = await sb.call("POST", "/workspace/diff", {
      body: { from: snap, to: { ...snap, ref: "f".repeat(64) } },
      workspace: "h3",
    });
    expect(missing.status).toBe(404);
    const otherWs = await sb.call("POST", "/workspace/diff", { body: { from: snap, to: snap }, workspace: "h4" });
    expect(otherWs.status).toBe(404);
  });
});

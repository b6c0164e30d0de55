import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "./helpers";

let sb: TestSandbox;
let outside: string;
beforeAll(async () => {
  sb = await startTestSandbox();
  outside = join(sb.root, "outside-secret");
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "secret.txt"), "top secret");
  mkdirSync(join(sb.root, "ws1"), { recursive: true });
  symlinkSync(outside, join(sb.root, "ws1", "link-out"));
  symlinkSync(join(outside, "missing-target"), join(sb.root, "ws1", "dangling"));
});
afterAll(async () => {
  await sb.stop();
});

describe("auth and request validation", () => {
  it("serves /health without a token", async () => {
    const res = await fetch(`${sb.server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      isolation: { mode: "bubblewrap", distinct_user: true, network_enforced: true, default_network: "none" },
    });
  });

  it("answers 401 without or with a wrong bearer token", async () => {
    for (const token of [null, "wrong", `${sb.token}x`]) {
      const res = await sb.call("POST", "/exec", { body: { command: "touch pwned" }, token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
    }
    expect(existsSync(join(sb.root, "ws1", "pwned"))).toBe(false);
  });

  it("answers 400 on bad JSON, bad fields and bad workspace ids", async () => {
    const badJson = await sb.call("POST", "/exec", { raw: "{not json" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("validation_error");
    const badField = await sb.call("POST", "/exec", { body: { command: 42, timeout_ms: -1 } });
    expect(badField.status).toBe(400);
    expect(badField.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(["command", "timeout_ms"]);
    const badWs = await sb.call("POST", "/exec", { body: { command: "true" }, workspace: "../evil" });
    expect(badWs.status).toBe(400);
    const unknown = await sb.call("GET", "/nope");
    expect(unknown.status).toBe(404);
  });
});

describe("workspace confinement", () => {
  const attempts = () => [
    "../outside-secret/secret.txt",
    join(outside, "secret.txt"),
    "link-out/secret.txt",
    "a/../../outside-secret/secret.txt",
    "/etc/passwd",
  ];

  it("refuses reads that escape the workspace (.., absolute, symlink)", async () => {
    for (const path of attempts()) {
      const res = await sb.call("GET", `/files?path=${encodeURIComponent(path)}`);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
  });

  it("refuses writes that escape, including through a symlinked dir or a dangling symlink", async () => {
    for (const path of [...attempts(), "link-out/new.txt", "dangling"]) {
      const res = await sb.call("PUT", "/files", { body: { path, content: "x" } });
      expect(res.status, path).toBe(403);
    }
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("top secret");
    expect(existsSync(join(outside, "new.txt"))).toBe(false);
    expect(existsSync(join(outside, "missing-target"))).toBe(false);
  });

  it("refuses an exec cwd, a listing or a snapshot outside the workspace", async () => {
    expect((await sb.call("POST", "/exec", { body: { command: "pwd", cwd: "../" } })).status).toBe(403);
    expect((await sb.call("POST", "/exec", { body: { command: "pwd", cwd: "link-out" } })).status).toBe(403);
    expect((await sb.call("GET", "/files/list?path=link-out")).status).toBe(403);
    expect((await sb.call("POST", "/workspace/snapshot", { body: { path: "..", backend: "hash" } })).status).toBe(403);
  });

  it("accepts an absolute path inside the workspace", async () => {
    await sb.call("PUT", "/files", { body: { path: "inside.txt", content: "ok" } });
    const res = await sb.call("GET", `/files?path=${encodeURIComponent(join(sb.root, "ws1", "inside.txt"))}`);
    expect(res.body).toMatchObject({ path: "inside.txt", content: "ok" });
  });

  it("keeps workspaces apart", async () => {
    await sb.call("PUT", "/files", { body: { path: "mine.txt", content: "a" }, workspace: "wsA" });
    const other = await sb.call("GET", "/files?path=mine.txt", { workspace: "wsB" });
    expect(other.status).toBe(404);
    expect((await sb.call("GET", "/files?path=../wsA/mine.txt", { workspace: "wsB" })).status).toBe(403);
  });
});

describe("files", () => {
  it("writes (creating parent dirs) and reads text", async () => {
    const put = await sb.call("PUT", "/files", { body: { path: "deep/er/f.txt", content: "héllo\n" } });
    expect(put.body).toEqual({ path: "deep/er/f.txt", size: 7 });
    const got = await sb.call("GET", "/files?path=deep/er/f.txt");
    expect(got.body).toEqual({ path: "deep/er/f.txt", content: "héllo\n", size: 7 });
    expect((await sb.call("GET", "/files?path=deep/none.txt")).status).toBe(404);
    expect((await sb.call("GET", "/files")).status).toBe(400);
  });

  it("lists a directory, flat or recursive, sorted", async () => {
    await sb.call("PUT", "/files", { body: { path: "tree/b.txt", content: "bb" }, workspace: "wsL" });
    await sb.call("PUT", "/files", { body: { path: "tree/a/c.txt", content: "c" }, workspace: "wsL" });
    const flat = await sb.call("GET", "/files/list?path=tree", { workspace: "wsL" });
    expect(flat.body).toEqual({
      entries: [
        { path: "tree/a", type: "dir", size: 0 },
        { path: "tree/b.txt", type: "file", size: 2 },
      ],
      truncated: false,
    });
    const deep = await sb.call("GET", "/files/list?path=.&recursive=true", { workspace: "wsL" });
    expect(deep.body.entries.map((e: { path: string }) => e.path)).toEqual(["tree", "tree/a", "tree/a/c.txt", "tree/b.txt"]);
  });

  it("edits a unique occurrence, all occurrences, and fails clearly otherwise", async () => {
    await sb.call("PUT", "/files", { body: { path: "e.txt", content: "one two two $& end" } });
    const once = await sb.call("POST", "/files/edit", { body: { path: "e.txt", old_string: "one", new_string: "$1" } });
    expect(once.body).toEqual({ path: "e.txt", replacements: 1 });
    const ambiguous = await sb.call("POST", "/files/edit", { body: { path: "e.txt", old_string: "two", new_string: "2" } });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error.message).toContain("occurs 2 times");
    const missing = await sb.call("POST", "/files/edit", { body: { path: "e.txt", old_string: "zzz", new_string: "2" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("not found");
    const all = await sb.call("POST", "/files/edit", { body: { path: "e.txt", old_string: "two", new_string: "2", replace_all: true } });
    expect(all.body.replacements).toBe(2);
    expect((await sb.call("GET", "/files?path=e.txt")).body.content).toBe("$1 2 2 $& end");
    expect((await sb.call("POST", "/files/edit", { body: { path: "nofile", old_string: "a", new_string: "b" } })).status).toBe(404);
  });
});

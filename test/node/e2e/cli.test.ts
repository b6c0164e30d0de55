import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The benchmark harness starts the same local stack as `npm run dev`: wrangler dev + the sandbox server.
import { root, startStack } from "../../../bench/harness.mjs";

const run = promisify(execFile);
let stack: { url: string; apiKey: string; stop(): Promise<void> };

async function asm(args: string[], stdoutFile?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, ASM_URL: stack.url, ASM_API_KEY: stack.apiKey, ASM_CONFIG: "/nonexistent" };
  const tsx = join(root, "node_modules/.bin/tsx");
  // With stdoutFile the shell redirects stdout there, as `asm export SESSION > file` does.
  const [file, argv] = stdoutFile
    ? ["sh", ["-c", '"$0" client/cli/main.ts "$@" > "$ASM_OUT"', tsx, ...args]]
    : [tsx, ["client/cli/main.ts", ...args]];
  try {
    const { stdout, stderr } = await run(file, argv, { cwd: root, env: { ...env, ASM_OUT: stdoutFile ?? "" }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("asm CLI against wrangler dev", () => {
  beforeAll(async () => {
    stack = await startStack();
    // wrangler dev takes minutes to come up on a busy 2-core machine.
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("creates a session, runs a shell command and waits, tails it, shows cost and deletes", async () => {
    const created = await asm(["sessions", "create", "--agent", "cli-e2e", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = JSON.parse(created.stdout) as { id: string };
    expect(session.id).toMatch(/^ses_/);

    const ran = await asm(["run", session.id, "--provider", "shell", "--wait", "--format", "compact", "--", "echo", "hello-cli"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("hello-cli");

    const failed = await asm(["run", session.id, "--provider", "shell", "--wait", "--", "sh", "-c", "exit 4"]);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toContain("command_failed (exit 4)");
    expect(failed.stdout).not.toContain("provider_error");

    const tail = await asm(["tail", session.id, "--no-follow", "--format", "jsonl"]);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; sequence: number; timestamp: string });
    expect(lines[0]).toMatchObject({ sequence: 1, session_id: session.id });
    expect(typeof lines[0]!.timestamp).toBe("string");
    const types = lines.map((l) => l.type);
    expect(types[0]).toBe("session_created");
    expect(types).toContain("run_completed");
    expect(types).toContain("run_failed");

    const table = await asm(["--url", stack.url, "sessions", "list"]);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+STATUS\s+AGENT\s+CREATED\s+TAGS$/);
    const row = rows.find((r) => r.startsWith(session.id))!;
    expect(row.indexOf("cli-e2e")).toBe(header!.indexOf("AGENT"));
    const providersTable = await asm(["providers"]);
    expect(providersTable.stdout).toMatch(/^PROVIDER\s+CONFIGURED\s+CIRCUIT\s+CAPABILITIES\n/);
    expect(providersTable.stdout).toMatch(/\nshell\s+yes\s/);
    const status = await asm(["status", session.id]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/runs\s+0 in flight, 0 queued/);
    const statusJson = JSON.parse((await asm(["--json", "status", session.id])).stdout) as {
      session_id: string;
      pending_approvals: unknown[];
    };
    expect(statusJson).toMatchObject({ session_id: session.id, pending_approvals: [] });
    const approvals = await asm(["approvals", "--json"]);
    expect(approvals.code, approvals.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(approvals.stdout).items)).toBe(true);
    const version = await asm(["--version"]);
    expect(version.stdout).toMatch(/^asm \d+\.\d+\.\d+/);

    const list = await asm(["sessions", "list", "--json"]);
    expect(JSON.parse(list.stdout).items.some((s: { id: string }) => s.id === session.id)).toBe(true);
    const cost = await asm(["cost", "--session", session.id, "--json"]);
    expect(cost.code, cost.stderr).toBe(0);
    const providers = await asm(["providers", "--json"]);
    expect(JSON.parse(providers.stdout).items.map((p: { name: string }) => p.name)).toContain("shell");

    const deleted = await asm(["sessions", "delete", session.id, "--hard"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const gone = await asm(["sessions", "show", session.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/session_not_found|not found/i);
    // Each step spawns the CLI (tsx) afresh: seconds each on a loaded 2-core machine.
  }, 300_000);

  it("export > file, then import file: a new session with the same events (sequences and types)", async () => {
    const created = await asm(["sessions", "create", "--agent", "cli-export", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = JSON.parse(created.stdout) as { id: string };
    for (const text of ["first", "second"]) {
      const appended = await asm([
        "events",
        "append",
        session.id,
        "--type",
        "message_sent",
        "--data",
        JSON.stringify({ role: "user", content: text }),
      ]);
      expect(appended.code, appended.stderr).toBe(0);
    }
    const original = await asm(["tail", session.id, "--no-follow", "--format", "jsonl"]);
    const originalEvents = original.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; sequence: number });

    const file = join(mkdtempSync(join(tmpdir(), "asm-e2e-")), "session.ndjson");
    const exported = await asm(["export", session.id], file);
    expect(exported.code, exported.stderr).toBe(0);
    const exportLines = readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; event?: { sequence: number; type: string } });
    expect(exportLines[0]).toMatchObject({ kind: "header", session_id: session.id });
    expect(exportLines.at(-1)).toMatchObject({ kind: "end", event_count: originalEvents.length });
    const exportedEvents = exportLines.flatMap((l) => (l.event ? [[l.event.sequence, l.event.type]] : []));
    expect(exportedEvents).toEqual(originalEvents.map((e) => [e.sequence, e.type]));

    const imported = await asm(["import", file]);
    expect(imported.code, imported.stderr).toBe(0);
    const newId = imported.stdout.trim();
    expect(newId).toMatch(/^ses_[0-9a-f]{32}$/);
    expect(newId).not.toBe(session.id);
    const copy = await asm(["tail", newId, "--no-follow", "--format", "jsonl"]);
    expect(copy.code, copy.stderr).toBe(0);
    const copyEvents = copy.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; sequence: number; session_id: string });
    expect(copyEvents.map((e) => [e.sequence, e.type])).toEqual(originalEvents.map((e) => [e.sequence, e.type]));
    expect(copyEvents.every((e) => e.session_id === newId)).toBe(true);

    const asJson = await asm(["--json", "import", file]);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      imported_from: session.id,
      event_count: originalEvents.length,
      latest_sequence: originalEvents.at(-1)!.sequence,
    });
    const missing = await asm(["import", join(tmpdir(), "no-such-export.ndjson")]);
    expect(missing.code).toBe(2);
  }, 300_000);
});

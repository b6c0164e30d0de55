import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Session } from "../../src/core/session";
import { api, appendEvents, createSession, json, KEY_A, KEY_B, note, readEvents } from "./helpers";
import { runEvents, submitRun, waitRun } from "./runs-helpers";
import { testSessions } from "./support/test-session-do";

const sessions = testSessions(env);

// Planted secrets: each matches a built-in pattern and is unique to this file, so finding it anywhere is a leak.
const AWS_KEY = "AKIAREDACTIONTEST001";
const GH_TOKEN = "ghp_" + "PlantedGithubToken0123456789abcdefXY";
const ANTHROPIC_KEY = "sk-ant-api03-" + "PlantedAnthropicKey_0123456789";
const DB_PASSWORD = "Pl4ntedDbPassw0rd";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlUGxhbnRlZA";

// The service's own configured secrets (vitest.config.ts bindings): replaced by value, whatever they look like.
const bindings = env as unknown as Record<string, string>;
const SERVICE_SECRETS = [KEY_A, KEY_B, bindings.ANTHROPIC_API_KEY!, bindings.OPENAI_API_KEY!, bindings.SANDBOX_TOKEN!].filter(
  (s) => s.length >= 8,
);

// Near-misses that must come back exactly as written.
const NEAR_MISSES: [string, string, string, string, string] = [
  "keys start with sk- and sk-short is not one",
  "the password policy requires 12 characters",
  "commit 3f786850e387550fdab836ed7e6dc881de23001b",
  "request 123e4567-e89b-12d3-a456-426614174000",
  "max_tokens: 100000",
];

const stubOf = (sessionId: string) => sessions.get(sessions.idFromName(`tenant_a:${sessionId}`));

/** Everything a session exposes or stores, as one text: DO reads, transcript, runs, D1 rows and /v1/query. */
async function everything(sessionId: string): Promise<string> {
  await stubOf(sessionId).flushNow();
  const texts = await Promise.all([
    api(`/v1/sessions/${sessionId}`).then((r) => r.text()),
    api(`/v1/sessions?limit=200`).then((r) => r.text()),
    api(`/v1/sessions/${sessionId}/events?limit=1000`).then((r) => r.text()),
    api(`/v1/sessions/${sessionId}/runs?limit=200`).then((r) => r.text()),
    api(`/v1/sessions/${sessionId}/transcript`).then((r) => r.text()),
    api(`/v1/query/runs?session_id=${sessionId}&limit=1000`).then((r) => r.text()),
    api(`/v1/query/events?session_id=${sessionId}&limit=1000`).then((r) => r.text()),
    env.DB.prepare("SELECT * FROM sessions WHERE id = ?")
      .bind(sessionId)
      .all()
      .then((r) => JSON.stringify(r.results)),
    env.DB.prepare("SELECT * FROM runs WHERE session_id = ?")
      .bind(sessionId)
      .all()
      .then((r) => JSON.stringify(r.results)),
    env.DB.prepare("SELECT * FROM events WHERE session_id = ?")
      .bind(sessionId)
      .all()
      .then((r) => JSON.stringify(r.results)),
  ]);
  return texts.join("\n");
}

function expectNoSecrets(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(text.includes(secret), `leaked ${secret}`).toBe(false);
}

/** `{level: {level: … leaf …}}`, `depth` objects deep. */
function nested(depth: number, leaf: unknown): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { level: value };
  return value as Record<string, unknown>;
}

describe("redaction on every surface", () => {
  it("session metadata, context and tags: on create and update, in the DO, D1 and lists; near-misses survive", async () => {
    const s = await createSession({
      agent_id: "agent-redaction",
      metadata: { note: `deploy with ${GH_TOKEN}`, api_key: "opaque-value-1", near: NEAR_MISSES[0] },
      context: { dsn: `postgres://app:${DB_PASSWORD}@db.internal:5432/app`, nested: [{ aws: AWS_KEY }] },
      tags: ["plain", ANTHROPIC_KEY],
    });
    expect(JSON.stringify(s)).not.toContain(GH_TOKEN);
    expect(s.metadata).toMatchObject({ api_key: "[REDACTED]", near: NEAR_MISSES[0] });
    expect(s.tags[0]).toBe("plain");
    const patched = await json<Session>(
      api(`/v1/sessions/${s.id}`, {
        method: "PATCH",
        json: { metadata: { later: `token ${JWT}` }, tags: ["plain", "again", NEAR_MISSES[2]] },
      }),
    );
    expect(patched.metadata.later).toBe("token [REDACTED]");
    expect(patched.tags).toEqual(["plain", "again", NEAR_MISSES[2]]);
    const all = await everything(s.id);
    expectNoSecrets(all, [GH_TOKEN, DB_PASSWORD, AWS_KEY, JWT, "opaque-value-1", ANTHROPIC_KEY]);
    expect(all).toContain(NEAR_MISSES[0]);
  });

  it("client events of every type, a secret 200 levels deep, metadata, and near-misses (DO, D1, query, transcript)", async () => {
    const s = await createSession();
    const deep = nested(200, { stderr: `AWS_SECRET_ACCESS_KEY=${"w".repeat(40)} and ${AWS_KEY}` });
    const stored = await appendEvents(s.id, [
      { type: "token_usage_updated", data: { input_tokens: 1, output_tokens: 2, note: GH_TOKEN } },
      {
        type: "error_recovered",
        data: { error_message: "retried", line: `raw ${ANTHROPIC_KEY}` },
        metadata: { unmapped_lines: [{ raw: JWT }] },
      },
      { type: "workspace_diff_computed", data: { files_changed: 1, patch: `+DB_PASSWORD=${DB_PASSWORD}` } },
      { type: "message_sent", data: { role: "user", content: "deep", payload: deep }, correlation_id: `corr-${GH_TOKEN}` },
      ...NEAR_MISSES.map((text) => note(text)),
    ]);
    expect(stored[0]!.metadata._redactions).toBe(1);
    let leaf: unknown = stored[3]!.data.payload;
    for (let i = 0; i < 200; i++) leaf = (leaf as { level: unknown }).level;
    expect(leaf).toEqual({ stderr: "AWS_SECRET_ACCESS_KEY=[REDACTED] and [REDACTED]" });
    const page = await readEvents(s.id, "limit=1000");
    expect(page.events.slice(-NEAR_MISSES.length).map((e) => e.data.content)).toEqual(NEAR_MISSES);
    const all = await everything(s.id);
    expectNoSecrets(all, [GH_TOKEN, ANTHROPIC_KEY, JWT, DB_PASSWORD, AWS_KEY, "w".repeat(40)]);
    for (const text of NEAR_MISSES) expect(all).toContain(text);
  });

  it("a client cannot vouch for its own redaction count", async () => {
    const s = await createSession();
    const [stored] = await appendEvents(s.id, [{ ...note("nothing secret"), metadata: { _redactions: 99, _truncated: true, mine: 1 } }]);
    expect(stored!.metadata).toEqual({ mine: 1 });
  });

  it("shell runs: input (env values too), output, stderr and the error, in the run, its events, D1 and /v1/query; the run itself sees the real values", async () => {
    const s = await createSession();
    const command = [
      `test "$DEPLOY_TOKEN" = opaque-deploy-value && echo env-ok`,
      `echo "aws ${AWS_KEY}"`,
      `echo "gh ${GH_TOKEN}" >&2`,
      ...SERVICE_SECRETS.map((secret) => `echo "svc ${secret}"`),
      `echo "${NEAR_MISSES[2]}"`,
      "exit 3",
    ].join("; ");
    const submitted = await submitRun(s.id, { provider: "shell", input: { command, env: { DEPLOY_TOKEN: "opaque-deploy-value" } } });
    expect(JSON.stringify(submitted)).not.toContain(AWS_KEY);
    expect((submitted.input as { env: Record<string, string> }).env.DEPLOY_TOKEN).toBe("[REDACTED]");
    const run = await waitRun(s.id, submitted.id);
    expect(run.status).toBe("failed");
    expect(run.error?.provider_error?.stderr).toContain("gh [REDACTED]");
    const streamed = (await runEvents(s.id, run.id))
      .filter((e) => e.type === "message_streamed")
      .map((e) => e.data.content)
      .join("");
    expect(streamed).toContain("env-ok");
    expect(streamed).toContain(NEAR_MISSES[2]);
    expect(streamed).toContain("svc [REDACTED]");
    const all = await everything(s.id);
    expectNoSecrets(all, [AWS_KEY, GH_TOKEN, "opaque-deploy-value", ...SERVICE_SECRETS]);
    expect(all).toContain(NEAR_MISSES[2]);
  });

  it("a completed run's output and the service's own secrets are redacted in the run record and the wait answer", async () => {
    const s = await createSession();
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: `echo "${JWT} ${bindings.OPENAI_API_KEY}"` })).id);
    expect(run.status).toBe("completed");
    expect(run.output?.content).toBe("[REDACTED] [REDACTED]\n");
    expectNoSecrets(await everything(s.id), [JWT, bindings.OPENAI_API_KEY!]);
  });

  it("workspace patches: inline in the run, through GET …/diff, and in the R2 object", async () => {
    const s = await createSession();
    const init = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input:
            "git init -q repo && cd repo && git config user.email t@example.com && git config user.name t && echo one > a.txt && git add . && git commit -qm init",
        })
      ).id,
    );
    expect(init.status, JSON.stringify(init.error)).toBe("completed");
    const write = (content: string) => `cd repo && printf '%s\\n' '${content}' > config.env`;
    const small = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: write(`AWS_KEY=${AWS_KEY}`),
          workspace: { path: "repo", backend: "git", snapshot: true },
        })
      ).id,
    );
    expect(small.status, JSON.stringify(small.error)).toBe("completed");
    const inline = (small.metadata.workspace as { patch: string | null }).patch!;
    expect(inline).toContain("+AWS_KEY=[REDACTED]");
    const diff = await json<{ patch: string }>(api(`/v1/sessions/${s.id}/runs/${small.id}/diff`));
    expect(diff.patch).toContain("+AWS_KEY=[REDACTED]");
    // A patch over INLINE_PATCH_MAX_BYTES goes to R2: the object holds the redacted text too.
    const big = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: `${write(`GH=${GH_TOKEN}`)} && seq 1 20000 >> config.env`,
          workspace: { path: "repo", backend: "git", snapshot: true },
        })
      ).id,
    );
    const ws = big.metadata.workspace as { patch: string | null; patch_ref: string | null };
    expect(ws.patch_ref).toMatch(/^patch_/);
    const artifact = await (await api(`/v1/artifacts/${ws.patch_ref}`)).text();
    expect(artifact).toContain("+GH=[REDACTED]");
    const bigDiff = await json<{ patch: string }>(api(`/v1/sessions/${s.id}/runs/${big.id}/diff`));
    expect(bigDiff.patch).toContain("+GH=[REDACTED]");
    expectNoSecrets((await everything(s.id)) + artifact, [AWS_KEY, GH_TOKEN]);
  }, 60_000); // four sandboxed runs with git snapshots: slow on a loaded machine

  it("CLI adapter raw lines: error_recovered for a malformed line and metadata.unmapped_lines", async () => {
    const s = await createSession();
    const cliEnv = {
      PATH: `${bindings.FAKE_CLI_BIN}:/usr/local/bin:/usr/bin:/bin`,
      FAKE_CLI_SCENARIO: "secrets",
    };
    const run = await waitRun(s.id, (await submitRun(s.id, { provider: "claude-code", input: "hi", options: { env: cliEnv } })).id);
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    const events = await runEvents(s.id, run.id);
    const recovered = events.find((e) => e.type === "error_recovered")!;
    expect(recovered.data.line).toContain("retrying with key [REDACTED]");
    const withUnmapped = events.find((e) => Array.isArray(e.metadata.unmapped_lines))!;
    expect(JSON.stringify(withUnmapped.metadata.unmapped_lines)).toContain("[REDACTED]");
    expectNoSecrets(await everything(s.id), ["RAWLINEcliSECRET", "UNMAPPEDcliSECRET"]);
  });

  it("webhook deliveries carry only redacted events", async () => {
    const s = await createSession();
    const channel = `c${crypto.randomUUID().replace(/-/g, "")}`;
    const sink = bindings.WEBHOOK_SINK_URL!;
    const created = await api("/v1/webhooks", { method: "POST", json: { url: `${sink}/${channel}`, session_id: s.id } });
    expect(created.status).toBe(201);
    await appendEvents(s.id, [{ type: "error_occurred", data: { error_message: `boom ${GH_TOKEN}` }, metadata: { raw: AWS_KEY } }]);
    let deliveries: { body: string; headers: Record<string, string> }[] = [];
    const arrived = () => deliveries.some((d) => d.body.includes("error_occurred"));
    for (let i = 0; i < 100 && !arrived(); i++) {
      await stubOf(s.id).fanOutNow();
      deliveries = ((await (await fetch(`${sink}/_received/${channel}`)).json()) as { deliveries: typeof deliveries }).deliveries;
      if (!arrived()) await new Promise((r) => setTimeout(r, 50));
    }
    const text = deliveries.map((d) => d.body + JSON.stringify(d.headers)).join("\n");
    expect(text).toContain("boom [REDACTED]");
    expectNoSecrets(text, [GH_TOKEN, AWS_KEY, ...SERVICE_SECRETS]);
    const events = deliveries.flatMap((d) => (JSON.parse(d.body) as { events: Event[] }).events);
    expect(events.find((e) => e.type === "error_occurred")).toMatchObject({ origin: "client", metadata: { raw: "[REDACTED]" } });
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core/event";
import type { Run } from "../../src/core/run";
import { D1SessionStore } from "../../src/store/session-store";
import { api, appendEvents, createSession, json, note, readEvents } from "./helpers";
import { submitRun, waitRun } from "./runs-helpers";
import { testSessions } from "./support/test-session-do";

const sessions = testSessions(env);

type Page<T> = { items: T[]; next_cursor: string | null };
type ErrorBody = { error: { code: string } };

async function flushed(sessionId: string) {
  const stub = sessions.get(sessions.idFromName(`tenant_a:${sessionId}`));
  return stub.flushNow();
}

describe("query API", () => {
  it("filters runs, pages them by keyset cursor and rejects foreign cursors", async () => {
    const s = await createSession({ agent_id: `q-${crypto.randomUUID()}` });
    const ids: string[] = [];
    for (const input of ["true", "false", "true", "true"])
      ids.push((await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input })).id)).id);
    await flushed(s.id);
    const completed = await json<Page<Run>>(api(`/v1/query/runs?session_id=${s.id}&status=completed`));
    expect(completed.items.map((r) => r.id).sort()).toEqual([ids[0], ids[2], ids[3]].sort());
    const failed = await json<Page<Run>>(api(`/v1/query/runs?session_id=${s.id}&status=failed,timeout&provider=shell`));
    expect(failed.items.map((r) => r.id)).toEqual([ids[1]]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<Run> = await json<Page<Run>>(
        api(`/v1/query/runs?session_id=${s.id}&order_by=queued_at_asc&limit=3${cursor ? `&cursor=${cursor}` : ""}`),
      );
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const first = await json<Page<Run>>(api(`/v1/query/runs?session_id=${s.id}&limit=1`));
    const mismatched = await api(`/v1/query/runs?session_id=${s.id}&order_by=queued_at_asc&cursor=${first.next_cursor}`);
    expect(mismatched.status).toBe(400);
    expect((await json<ErrorBody>(mismatched)).error.code).toBe("invalid_cursor");
    for (const bad of ["limit=0", "limit=1001", "order_by=random", "status=sleeping", "since=yesterday", "min_tokens=-1"]) {
      expect((await api(`/v1/query/runs?${bad}`)).status, bad).toBe(400);
    }
    expect((await json<Page<Run>>(api(`/v1/query/runs?session_id=${s.id}`, { key: "test_key_b" }))).items).toEqual([]);
  });

  it("sums cost and tokens by provider and model from known runs", async () => {
    const s = await createSession();
    const stub = sessions.get(sessions.idFromName(`tenant_a:${s.id}`));
    await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "true" })).id);
    await flushed(s.id);
    // Priced runs are written to D1 the way the flusher writes them, with known usage.
    const store = new D1SessionStore(env.DB);
    const base = {
      session_id: s.id,
      status: "completed" as const,
      input: "x",
      output: null,
      error: null,
      turn_count: 1,
      metadata: {},
      idempotency_key: null,
      queued_at: new Date().toISOString(),
      started_at: null,
      ended_at: null,
    };
    await store.flush({
      tenantId: "tenant_a",
      session: null,
      events: [],
      runs: [
        {
          ...base,
          id: `run_${"1".repeat(32)}`,
          provider: "anthropic",
          model: "claude-sonnet-4-5",
          token_usage: { input: 1000, output: 500, cache_read: 0, cache_creation: 0, total: 1500 },
          cost_usd: 0.0105,
        },
        {
          ...base,
          id: `run_${"2".repeat(32)}`,
          provider: "openai",
          model: "gpt-4o",
          token_usage: { input: 2000, output: 100, cache_read: 500, cache_creation: 0, total: 2600 },
          cost_usd: 0.006,
        },
      ],
    });
    const cost = await json<{
      total_cost_usd: number;
      run_count: number;
      unpriced_runs: number;
      tokens: { total: number; input: number };
      by_provider: Record<string, { cost_usd: number }>;
      by_model: Record<string, { run_count: number }>;
    }>(api(`/v1/query/cost?session_id=${s.id}`));
    expect(cost.total_cost_usd).toBeCloseTo(0.0165, 10);
    expect(cost.run_count).toBe(3);
    expect(cost.tokens).toMatchObject({ input: 3000, total: 4100 });
    expect(cost.by_provider.anthropic!.cost_usd).toBeCloseTo(0.0105, 10);
    expect(cost.by_model["gpt-4o"]!.run_count).toBe(1);
    expect(stub).toBeDefined();
  });

  it("searches events across sessions by type and time, tenant-scoped", async () => {
    const a = await createSession();
    const b = await createSession();
    await appendEvents(a.id, [{ type: "error_occurred", data: { error_message: "boom a" } }]);
    await appendEvents(b.id, [{ type: "error_occurred", data: { error_message: "boom b" } }, note("n")]);
    await flushed(a.id);
    await flushed(b.id);
    const since = new Date(Date.now() - 60_000).toISOString();
    const found = await json<Page<Event>>(api(`/v1/query/events?type=error_occurred&since=${encodeURIComponent(since)}&limit=1000`));
    const mine = found.items.filter((e) => e.session_id === a.id || e.session_id === b.id);
    expect(mine.map((e) => e.data.error_message).sort()).toEqual(["boom a", "boom b"]);
    const paged = await json<Page<Event>>(api(`/v1/query/events?session_id=${b.id}&limit=1`));
    expect(paged.items).toHaveLength(1);
    const next = await json<Page<Event>>(api(`/v1/query/events?session_id=${b.id}&limit=10&cursor=${paged.next_cursor}`));
    expect(next.items.map((e) => e.sequence)).toEqual([2, 3]);
  });
});

describe("maintenance", () => {
  it("retention dry run reports, the real run prunes old events but keeps protected types, and cascades hard deletes", async () => {
    const s = await createSession({ agent_id: `ret-${crypto.randomUUID()}` });
    await appendEvents(s.id, [
      { type: "run_started", run_id: "r1", data: {} },
      ...Array.from({ length: 10 }, (_, i) => ({ type: "message_streamed", run_id: "r1", data: { content: `${i}`, delta: `${i}` } })),
      { type: "run_completed", run_id: "r1", data: { stop_reason: "end_turn" } },
    ]);
    await flushed(s.id);
    const policy = { max_events_per_session: 5 };
    const dry = await json<{ events_pruned: { session_id: string; count: number }[] }>(
      api("/v1/maintenance/retention", { method: "POST", json: { dry_run: true, policy } }),
    );
    const planned = dry.events_pruned.find((p) => p.session_id === s.id)!;
    // 13 events (session_created, run_started, 10 streamed, run_completed) down to 5: 8 streamed ones go.
    expect(planned.count).toBe(8);
    expect((await readEvents(s.id)).events).toHaveLength(13);
    await api("/v1/maintenance/retention", { method: "POST", json: { dry_run: false, policy } });
    const left = (await readEvents(s.id)).events.map((e) => e.type);
    expect(left).toContain("session_created");
    expect(left).toContain("run_started");
    expect(left).toContain("run_completed");
    expect(left).toHaveLength(5);
    expect(await new D1SessionStore(env.DB).countEvents("tenant_a", s.id)).toBe(5);
    // New events keep counting up from where the log was.
    const [next] = await appendEvents(s.id, [note("after pruning")]);
    expect(next!.sequence).toBe(14);
    const health = await json<{ gaps: { session_id: string }[] }>(api("/v1/maintenance/health"));
    expect(health.gaps.some((g) => g.session_id === s.id)).toBe(false);
  });

  it("the health check finds an injected gap and orphaned rows", async () => {
    const s = await createSession();
    await appendEvents(s.id, [note("1"), note("2"), note("3")]);
    await flushed(s.id);
    await env.DB.prepare("DELETE FROM events WHERE session_id = ? AND sequence = 2").bind(s.id).run();
    await env.DB.prepare(
      "INSERT INTO runs (id, session_id, tenant_id, status, provider, queued_at) VALUES (?, 'ses_gone', 'tenant_a', 'completed', 'shell', ?)",
    )
      .bind(`run_${"9".repeat(32)}`, new Date().toISOString())
      .run();
    const health = await json<{
      healthy: boolean;
      gaps: { session_id: string; missing: number }[];
      orphaned_runs: string[];
      flush_lag: { session_id: string; lag_events: number }[];
    }>(api("/v1/maintenance/health"));
    expect(health.healthy).toBe(false);
    expect(health.gaps.find((g) => g.session_id === s.id)?.missing).toBe(1);
    expect(health.orphaned_runs).toContain(`run_${"9".repeat(32)}`);
    expect(health.flush_lag.find((f) => f.session_id === s.id)?.lag_events).toBe(0);
  });
});

describe("redaction", () => {
  it("removes secrets before storage and broadcast, counts them, and leaves near-misses", async () => {
    const s = await createSession();
    const key = `sk-ant-api03-${"A".repeat(40)}`;
    const [stored] = await appendEvents(s.id, [
      {
        type: "error_occurred",
        data: {
          error_message: `auth failed with ${key}`,
          provider_error: { stderr: "AWS_SECRET_ACCESS_KEY=abcdEFGHijklMNOPqrstUVWXyz0123456789abcd" },
        },
      },
      note("the password policy says sk-short is fine"),
    ]);
    expect(JSON.stringify(stored!.data)).not.toContain(key);
    expect(JSON.stringify(stored!.data)).not.toContain("abcdEFGHijkl");
    expect(stored!.metadata._redactions).toBeGreaterThanOrEqual(2);
    const page = await readEvents(s.id);
    expect(JSON.stringify(page.events)).not.toContain(key);
    expect(page.events.at(-1)!.data.content).toBe("the password policy says sk-short is fine");
    await flushed(s.id);
    const d1 = await new D1SessionStore(env.DB).getEvents("tenant_a", s.id);
    expect(JSON.stringify(d1)).not.toContain(key);
  });
});

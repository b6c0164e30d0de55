import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { createSession } from "./helpers";

/**
 * The daily Cron Trigger (wrangler.toml [triggers]) runs retention for every tenant. The handler is called as the
 * runtime calls it (SELF.scheduled, like wrangler dev's /cdn-cgi/handler/scheduled, trips over the assets proxy).
 */
describe("retention cron", () => {
  it("soft-deletes a completed session past the default age, the handler resolving", async () => {
    const s = await createSession({ agent_id: `cron-${crypto.randomUUID()}` });
    // Aged in D1, where retention plans from: completed 200 days ago (the default keeps completed sessions 90 days).
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString();
    for (let i = 0; i < 100; i++) {
      const row = await env.DB.prepare("SELECT id FROM sessions WHERE id = ?").bind(s.id).first();
      if (row) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await env.DB.prepare("UPDATE sessions SET status = 'completed', updated_at = ? WHERE id = ?").bind(old, s.id).run();
    // The handler awaits retention itself, so its promise settles when retention is done.
    await worker.scheduled(createScheduledController({ cron: "17 3 * * *", scheduledTime: new Date() }), env);
    const row = await env.DB.prepare("SELECT deleted_at FROM sessions WHERE id = ?").bind(s.id).first<{ deleted_at: string | null }>();
    expect(row?.deleted_at).not.toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { planEventPruning, planSessionRetention, RetentionPolicySchema } from "../../src/core/retention";
import { nextRetryDelay, signPayload, verifySignature } from "../../src/core/webhook";
import { classifyError } from "../../src/core/workflow";

const day = 86_400_000;
const now = new Date("2026-11-24T00:00:00Z");
const ago = (d: number) => new Date(now.getTime() - d * day).toISOString();

describe("retention planning", () => {
  it("soft-deletes old terminal sessions, spares exempt statuses and tags, hard-deletes after the grace period", () => {
    const policy = RetentionPolicySchema.parse({ max_session_age_days: 365 });
    const plan = planSessionRetention([
      { id: "old-done", status: "completed", tags: [], updated_at: ago(100), deleted_at: null },
      { id: "recent-done", status: "completed", tags: [], updated_at: ago(10), deleted_at: null },
      { id: "pinned", status: "completed", tags: ["pinned"], updated_at: ago(500), deleted_at: null },
      { id: "active", status: "active", tags: [], updated_at: ago(500), deleted_at: null },
      { id: "ancient-pending", status: "pending", tags: [], updated_at: ago(400), deleted_at: null },
      { id: "deleted-long-ago", status: "completed", tags: [], updated_at: ago(100), deleted_at: ago(31) },
      { id: "deleted-recently", status: "completed", tags: [], updated_at: ago(100), deleted_at: ago(2) },
    ], policy, now);
    expect(plan.soft_delete.sort()).toEqual(["ancient-pending", "old-done"]);
    expect(plan.hard_delete).toEqual(["deleted-long-ago"]);
  });

  it("prunes prune-first types oldest first, then other unprotected ones, never protected types", () => {
    const events = [
      { sequence: 1, type: "session_created" }, { sequence: 2, type: "message_sent" }, { sequence: 3, type: "message_streamed" },
      { sequence: 4, type: "run_started" }, { sequence: 5, type: "token_usage_updated" }, { sequence: 6, type: "message_received" },
      { sequence: 7, type: "run_completed" },
    ];
    expect(planEventPruning(events, RetentionPolicySchema.parse({ max_events_per_session: 5 }))).toEqual([3, 5]);
    expect(planEventPruning(events, RetentionPolicySchema.parse({ max_events_per_session: 4 }))).toEqual([2, 3, 5]);
    expect(planEventPruning(events, RetentionPolicySchema.parse({ max_events_per_session: 1 }))).toEqual([2, 3, 5, 6]);
    expect(planEventPruning(events, RetentionPolicySchema.parse({}))).toEqual([]);
  });
});

describe("webhook signatures", () => {
  it("verifies its own signature and rejects tampering, other secrets and stale timestamps", async () => {
    const t = 1_800_000_000;
    const header = await signPayload("whsec_0123456789abcdef", t, '{"a":1}');
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(await verifySignature("whsec_0123456789abcdef", header, '{"a":1}', t + 10)).toBe(true);
    expect(await verifySignature("whsec_0123456789abcdef", header, '{"a":2}', t + 10)).toBe(false);
    expect(await verifySignature("whsec_other_secret_value", header, '{"a":1}', t + 10)).toBe(false);
    expect(await verifySignature("whsec_0123456789abcdef", header, '{"a":1}', t + 301)).toBe(false);
    expect(await verifySignature("whsec_0123456789abcdef", "garbage", '{"a":1}', t)).toBe(false);
  });

  it("backs off exponentially with bounded jitter", () => {
    expect(nextRetryDelay(1, () => 0)).toBe(1000);
    expect(nextRetryDelay(3, () => 0)).toBe(4000);
    expect(nextRetryDelay(3, () => 1)).toBe(4800);
    expect(nextRetryDelay(50, () => 0)).toBe(300_000);
  });
});

describe("workflow classification", () => {
  it.each([
    ["provider_timeout", "retry", "retry"], ["timeout", "retry", "retry"], ["provider_rate_limited", "wait_and_retry", "retry"],
    ["max_runs_exceeded", "wait_and_retry", "retry"], ["provider_unavailable", "failover", "failover"],
    ["policy_violation", "cancel", "abort"], ["cancelled", "cancel", "abort"], ["provider_authentication_failed", "abort", "abort"],
    ["validation_error", "abort", "abort"], ["something_else", "abort", "abort"],
  ])("%s → %s", (code, recommended, step) => {
    const c = classifyError(code);
    expect(c.recommended_action).toBe(recommended);
    expect(c.step_action).toBe(step);
  });
});

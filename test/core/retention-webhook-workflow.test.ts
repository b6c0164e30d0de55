import { describe, expect, it } from "vitest";
import { planEventPruning, planSessionRetention, RetentionPolicySchema } from "../../src/core/retention";
import { Webhook } from "standardwebhooks";
import { deliveryId, newWebhookSecret, nextRetryDelay, signDelivery, WebhookSecretSchema } from "../../src/core/webhook";
import { classifyError } from "../../src/core/workflow";

const day = 86_400_000;
const now = new Date("2026-11-24T00:00:00Z");
const ago = (d: number) => new Date(now.getTime() - d * day).toISOString();

describe("retention planning", () => {
  it("soft-deletes old terminal sessions, spares exempt statuses and tags, hard-deletes after the grace period", () => {
    const policy = RetentionPolicySchema.parse({ max_session_age_days: 365 });
    const plan = planSessionRetention(
      [
        { id: "old-done", status: "completed", tags: [], updated_at: ago(100), deleted_at: null },
        { id: "recent-done", status: "completed", tags: [], updated_at: ago(10), deleted_at: null },
        { id: "pinned", status: "completed", tags: ["pinned"], updated_at: ago(500), deleted_at: null },
        { id: "active", status: "active", tags: [], updated_at: ago(500), deleted_at: null },
        { id: "ancient-pending", status: "pending", tags: [], updated_at: ago(400), deleted_at: null },
        { id: "deleted-long-ago", status: "completed", tags: [], updated_at: ago(100), deleted_at: ago(31) },
        { id: "deleted-recently", status: "completed", tags: [], updated_at: ago(100), deleted_at: ago(2) },
      ],
      policy,
      now,
    );
    expect(plan.soft_delete.sort()).toEqual(["ancient-pending", "old-done"]);
    expect(plan.hard_delete).toEqual(["deleted-long-ago"]);
  });

  it("prunes prune-first types oldest first, then other unprotected ones, never protected types", () => {
    const events = [
      { sequence: 1, type: "session_created" },
      { sequence: 2, type: "message_sent" },
      { sequence: 3, type: "message_streamed" },
      { sequence: 4, type: "run_started" },
      { sequence: 5, type: "token_usage_updated" },
      { sequence: 6, type: "message_received" },
      { sequence: 7, type: "run_completed" },
    ];
    expect(planEventPruning(events, RetentionPolicySchema.parse({ max_events_per_session: 5 }))).toEqual([3, 5]);
    expect(planEventPruning(events, RetentionPolicySchema.parse({ max_events_per_session: 4 }))).toEqual([2, 3, 5]);
    expect(planEventPruning(events, RetentionPolicySchema.parse({ max_events_per_session: 1 }))).toEqual([2, 3, 5, 6]);
    expect(planEventPruning(events, RetentionPolicySchema.parse({}))).toEqual([]);
  });
});

describe("webhook signatures", () => {
  // Receivers verify with the standardwebhooks library itself; its tolerance is checked against the clock.
  const at = new Date();
  const body = '{"a":1}';
  const id = deliveryId("wh_1", "ses_1", 3, 7);

  it("signs per Standard Webhooks, verifiable by the library, and rejects tampering and other secrets", () => {
    const secret = newWebhookSecret();
    expect(WebhookSecretSchema.safeParse(secret).success).toBe(true);
    const headers = signDelivery(secret, id, at, body);
    expect(headers["webhook-id"]).toBe("wh_1:ses_1:3-7");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ a: 1 });
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-id": "wh_1:ses_1:3-8" })).toThrow();
    const stale = signDelivery(secret, id, new Date(at.getTime() - 301_000), body);
    expect(() => new Webhook(secret).verify(body, stale)).toThrow(/too old/);
  });

  it("maps secrets stored before the standard: whsec_<hex> as is, any other form as raw bytes", () => {
    const legacyHex = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef";
    expect(new Webhook(legacyHex).verify(body, signDelivery(legacyHex, id, at, body))).toEqual({ a: 1 });
    const legacyRaw = "my-own-secret-value-1234";
    expect(new Webhook(legacyRaw, { format: "raw" }).verify(body, signDelivery(legacyRaw, id, at, body))).toEqual({ a: 1 });
  });

  it("accepts only whsec_ + base64 of 24 to 64 bytes as a new secret", () => {
    const b64 = (n: number) => btoa("x".repeat(n));
    expect(WebhookSecretSchema.safeParse(`whsec_${b64(24)}`).success).toBe(true);
    expect(WebhookSecretSchema.safeParse(`whsec_${b64(64)}`).success).toBe(true);
    for (const bad of [
      `whsec_${b64(23)}`,
      `whsec_${b64(65)}`,
      b64(32),
      "whsec_not-base64-at-all-but-long-enough!!",
      "my-own-secret-value-1234",
    ]) {
      expect(WebhookSecretSchema.safeParse(bad).success, bad).toBe(false);
    }
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
    ["provider_timeout", "retry", "retry"],
    ["timeout", "retry", "retry"],
    ["provider_rate_limited", "wait_and_retry", "retry"],
    ["max_runs_exceeded", "wait_and_retry", "retry"],
    ["provider_unavailable", "failover", "failover"],
    ["policy_violation", "cancel", "abort"],
    ["cancelled", "cancel", "abort"],
    ["provider_authentication_failed", "abort", "abort"],
    ["validation_error", "abort", "abort"],
    ["something_else", "abort", "abort"],
  ])("%s → %s", (code, recommended, step) => {
    const c = classifyError(code);
    expect(c.recommended_action).toBe(recommended);
    expect(c.step_action).toBe(step);
  });
});

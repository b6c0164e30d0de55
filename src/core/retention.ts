import { z } from "zod";

/** Retention policy with every default in one place (with our protected types). */
export const RetentionPolicySchema = z.object({
  /** Sessions not updated for this many days are soft-deleted (null: never). */
  max_session_age_days: z.number().min(0).nullable().default(null),
  /** Terminal sessions (completed, failed, cancelled) not updated for this many days are soft-deleted. */
  max_completed_session_age_days: z.number().min(0).nullable().default(90),
  /** Events kept per session; the oldest unprotected ones go first (null: no cap). */
  max_events_per_session: z.number().int().min(1).nullable().default(null),
  /** Soft-deleted sessions are removed for good after this grace period. */
  hard_delete_after_days: z.number().min(0).default(30),
  exempt_statuses: z.array(z.string()).default(["active", "paused"]),
  exempt_tags: z.array(z.string()).default(["pinned"]),
  protected_event_types: z
    .array(z.string())
    .default([
      "session_created",
      "run_started",
      "run_completed",
      "run_failed",
      "error_occurred",
      "tool_approval_requested",
      "tool_approval_granted",
      "tool_approval_denied",
      "tool_approval_expired",
    ]),
  prune_event_types_first: z.array(z.string()).default(["message_streamed", "token_usage_updated"]),
  batch_size: z.number().int().min(1).default(100),
});
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export type RetentionSession = { id: string; status: string; tags: string[]; updated_at: string; deleted_at: string | null };

const DAY_MS = 86_400_000;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** Which sessions to soft-delete (too old, not exempt) and which soft-deleted ones to remove for good. */
export function planSessionRetention(
  sessions: RetentionSession[],
  policy: RetentionPolicy,
  now: Date,
): { soft_delete: string[]; hard_delete: string[] } {
  const t = now.getTime();
  const soft_delete: string[] = [];
  const hard_delete: string[] = [];
  for (const s of sessions) {
    if (s.deleted_at) {
      if (t - Date.parse(s.deleted_at) > policy.hard_delete_after_days * DAY_MS) hard_delete.push(s.id);
      continue;
    }
    if (policy.exempt_statuses.includes(s.status) || s.tags.some((tag) => policy.exempt_tags.includes(tag))) continue;
    const age = t - Date.parse(s.updated_at);
    const tooOld = policy.max_session_age_days !== null && age > policy.max_session_age_days * DAY_MS;
    const doneAndOld =
      TERMINAL.has(s.status) && policy.max_completed_session_age_days !== null && age > policy.max_completed_session_age_days * DAY_MS;
    if (tooOld || doneAndOld) soft_delete.push(s.id);
  }
  return { soft_delete, hard_delete };
}

/**
 * Sequences to delete so a session fits `max_events_per_session`: first the oldest events of the
 * prune-first types, then the oldest of any type that is not protected. Protected events are never removed,
 * even if the cap cannot be met.
 */
export function planEventPruning(events: { sequence: number; type: string }[], policy: RetentionPolicy): number[] {
  const cap = policy.max_events_per_session;
  if (cap === null || events.length <= cap) return [];
  let excess = events.length - cap;
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  const doomed = new Set<number>();
  const take = (pred: (type: string) => boolean) => {
    for (const e of ordered) {
      if (excess === 0) return;
      if (doomed.has(e.sequence) || !pred(e.type)) continue;
      doomed.add(e.sequence);
      excess--;
    }
  };
  const protectedTypes = new Set(policy.protected_event_types);
  take((type) => policy.prune_event_types_first.includes(type) && !protectedTypes.has(type));
  take((type) => !protectedTypes.has(type));
  return [...doomed].sort((a, b) => a - b);
}

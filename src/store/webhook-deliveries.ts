import { and, count, desc, eq, max, min } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { DeliveryState, SessionDeliveryState } from "../core/webhook";
import { webhookDeliveries } from "./schema";

type Row = typeof webhookDeliveries.$inferSelect;

/** What one delivery attempt leaves behind, written by the session's object after the attempt. */
export type DeliveryAttempt = {
  webhookId: string;
  tenantId: string;
  sessionId: string;
  cursor: number;
  at: Date;
  ok: boolean;
  status: number | null;
  error: string | null;
  consecutiveFailures: number;
  nextAttemptAt: Date | null;
};

const SESSIONS_SHOWN = 100;

/** Upserts the (webhook, session) row: each session's object writes only its own, so writers never contend. */
export async function recordDeliveryAttempt(d1: D1Database, a: DeliveryAttempt): Promise<void> {
  const at = a.at.toISOString();
  const state = {
    cursor: a.cursor,
    lastAttemptAt: at,
    lastStatus: a.status,
    lastError: a.ok ? null : a.error,
    consecutiveFailures: a.consecutiveFailures,
    nextAttemptAt: a.nextAttemptAt?.toISOString() ?? null,
    ...(a.ok ? { lastSuccessAt: at } : {}),
  };
  await drizzle(d1)
    .insert(webhookDeliveries)
    .values({ webhookId: a.webhookId, sessionId: a.sessionId, tenantId: a.tenantId, ...state })
    .onConflictDoUpdate({ target: [webhookDeliveries.webhookId, webhookDeliveries.sessionId], set: state });
}

/** The webhook's delivery state: totals over every session, and the most recently attempted sessions. */
export async function readDeliveryState(d1: D1Database, tenantId: string, webhookId: string): Promise<DeliveryState> {
  const db = drizzle(d1);
  const where = and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.webhookId, webhookId));
  const [rows, totals] = await Promise.all([
    db.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.lastAttemptAt)).limit(SESSIONS_SHOWN),
    db
      .select({
        lastAttemptAt: max(webhookDeliveries.lastAttemptAt),
        lastSuccessAt: max(webhookDeliveries.lastSuccessAt),
        consecutiveFailures: max(webhookDeliveries.consecutiveFailures),
        nextAttemptAt: min(webhookDeliveries.nextAttemptAt),
        sessions: count(),
      })
      .from(webhookDeliveries)
      .where(where),
  ]);
  const t = totals[0];
  const sessions = rows.map(toState);
  return {
    last_attempt_at: t?.lastAttemptAt ?? null,
    last_success_at: t?.lastSuccessAt ?? null,
    last_error: sessions[0]?.last_error ?? null,
    consecutive_failures: t?.consecutiveFailures ?? 0,
    next_attempt_at: t?.nextAttemptAt ?? null,
    session_count: t?.sessions ?? 0,
    sessions,
  };
}

export async function deleteDeliveryState(d1: D1Database, tenantId: string, webhookId: string): Promise<void> {
  await drizzle(d1)
    .delete(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.webhookId, webhookId)));
}

function toState(r: Row): SessionDeliveryState {
  return {
    session_id: r.sessionId,
    cursor: r.cursor,
    last_attempt_at: r.lastAttemptAt,
    last_success_at: r.lastSuccessAt,
    last_status: r.lastStatus,
    last_error: r.lastError,
    consecutive_failures: r.consecutiveFailures,
    next_attempt_at: r.nextAttemptAt,
  };
}

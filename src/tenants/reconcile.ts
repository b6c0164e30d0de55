/** Sessions ended, deleted or never created as far as D1 knows (D1 rows carry `tenant_id`; terminal statuses end a session). */
const BATCH = 50;

export async function staleSessions(db: D1Database, tenantId: string, sessionIds: string[]): Promise<string[]> {
  const stale: string[] = [];
  for (let i = 0; i < sessionIds.length; i += BATCH) {
    const ids = sessionIds.slice(i, i + BATCH);
    const marks = ids.map(() => "?").join(",");
    const { results } = await db
      .prepare(
        `SELECT id FROM sessions WHERE tenant_id = ? AND id IN (${marks}) AND deleted_at IS NULL AND status NOT IN ('completed','failed','cancelled')`,
      )
      .bind(tenantId, ...ids)
      .all<{ id: string }>();
    const active = new Set(results.map((r) => r.id));
    stale.push(...ids.filter((id) => !active.has(id)));
  }
  return stale;
}

import type { PendingApproval } from "../core/run-controls";
import { parseJsonColumn } from "../core/json";

type Row = { session_id: string; run_id: string; sequence: number; timestamp: string; data: string };

/**
 * Tenant-wide pending approvals from D1's event log: a `tool_approval_requested` on a run still
 * `awaiting_approval`, with no granted/denied/expired event for the same tool call after it. D1 is fed by each
 * session's flusher, so a request made in the last moments may not be listed yet (the per-session list is exact).
 */
export async function pendingApprovals(db: D1Database, tenantId: string, limit: number): Promise<PendingApproval[]> {
  const { results } = await db
    .prepare(
      `SELECT e.session_id, e.run_id, e.sequence, e.timestamp, e.data FROM events e
       JOIN runs r ON r.id = e.run_id AND r.tenant_id = e.tenant_id
      WHERE e.tenant_id = ?1 AND e.type = 'tool_approval_requested' AND r.status = 'awaiting_approval'
        AND NOT EXISTS (SELECT 1 FROM events d WHERE d.tenant_id = e.tenant_id AND d.session_id = e.session_id
              AND d.run_id = e.run_id AND d.sequence > e.sequence
              AND d.type IN ('tool_approval_granted', 'tool_approval_denied', 'tool_approval_expired')
              AND json_extract(d.data, '$.tool_call_id') = json_extract(e.data, '$.tool_call_id'))
      ORDER BY e.timestamp, e.session_id, e.sequence LIMIT ?2`,
    )
    .bind(tenantId, limit)
    .all<Row>();
  return results.map((row) => {
    const data = parseJsonColumn<Record<string, unknown>>(row.data, {});
    return {
      session_id: row.session_id,
      run_id: row.run_id,
      tool_call_id: String(data.tool_call_id ?? ""),
      tool_name: String(data.tool_name ?? ""),
      tool_input: (data.tool_input as Record<string, unknown> | undefined) ?? {},
      policy_name: (data.policy_name as string | undefined) ?? null,
      requested_at: row.timestamp,
      sequence: row.sequence,
    };
  });
}

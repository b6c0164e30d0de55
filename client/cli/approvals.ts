import type { PendingApproval, SessionRuntimeStatus } from "../../src/core/run-controls";
import type { Run } from "../../src/core/run";
import type { Command } from "./commands";
import { EXIT, UsageError, type CliIo } from "./io";
import { table } from "./table";

const print = (io: CliIo, value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const inputSummary = (input: Record<string, unknown>): string => {
  const text = typeof input.command === "string" ? input.command : JSON.stringify(input);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
};

/** The command that decides one pending approval, ready to paste. */
export const approveHint = (
  a: { session_id: string; run_id: string; tool_call_id: string },
  decision: "approve" | "deny" = "approve",
): string => `asm ${decision} ${a.session_id} ${a.run_id} ${a.tool_call_id}${decision === "deny" ? " --reason '…'" : ""}`;

/** What a decision did, in words: "approved" alone, beside a run still listed as awaiting, read as if nothing happened. */
export function decisionSentence(decision: "grant" | "deny", toolCallId: string, run: Run, reason: string | undefined): string {
  const head =
    decision === "grant"
      ? `Approved tool call ${toolCallId}: it runs now`
      : `Denied tool call ${toolCallId}${reason ? ` (reason: ${reason})` : ""}: the agent is told it was refused`;
  const next =
    run.status === "awaiting_approval"
      ? "waits for another approval"
      : run.status === "running" || run.status === "queued"
        ? "continues"
        : `is ${run.status}`;
  return `${head}; run ${run.id} ${next}.\n`;
}

function listTable(items: PendingApproval[]): string {
  if (items.length === 0) return "No pending approvals.\n";
  return `${table(
    ["SESSION", "RUN", "TOOL CALL", "TOOL", "REQUESTED", "INPUT"],
    items.map((a) => [a.session_id, a.run_id, a.tool_call_id, a.tool_name, a.requested_at ?? "—", inputSummary(a.tool_input)]),
  )}\nDecide with: ${approveHint(items[0]!)}  (or: asm approvals deny … --reason R)\n`;
}

/** `asm approvals [list] [--session S]`, `asm approvals approve|deny <session> <run> <tool_call_id> [--reason R]`. */
export const approvalsCommand: Command = async (client, io, positionals, flags) => {
  const sub = positionals[0] ?? "list";
  if (sub === "list") {
    const session = typeof flags.session === "string" ? flags.session : null;
    const items = await client.listPendingApprovals(session);
    if (flags.json) print(io, { items });
    else io.stdout.write(listTable(items));
    return EXIT.ok;
  }
  if (sub !== "approve" && sub !== "deny") throw new UsageError("usage: asm approvals [list] | approve | deny");
  const [sessionId, runId, toolCallId] = positionals.slice(1);
  if (!sessionId || !runId || !toolCallId) throw new UsageError(`missing arguments: asm approvals ${sub} <session> <run> <tool_call_id>`);
  const reason = typeof flags.reason === "string" ? flags.reason : undefined;
  const decision = sub === "approve" ? "grant" : "deny";
  const run = await client.decideApproval(sessionId, runId, toolCallId, { decision, ...(reason ? { reason } : {}) });
  if (flags.json) print(io, run);
  else io.stdout.write(decisionSentence(decision, toolCallId, run, reason));
  return EXIT.ok;
};

/** `asm status <session>`: the runtime snapshot (runs in flight and queued, approvals, subscribers). */
export const statusCommand: Command = async (client, io, positionals, flags) => {
  const sessionId = positionals[0];
  if (!sessionId) throw new UsageError("missing <session>");
  const s = await client.getSessionStatus(sessionId);
  if (flags.json) {
    print(io, s);
    return EXIT.ok;
  }
  const subs = s.subscribers;
  io.stdout.write(
    [
      `session      ${s.session_id} (${s.status}${s.draining ? ", draining" : ""}${s.accepting_runs ? "" : ", not accepting runs"})`,
      `runs         ${s.in_flight.length} in flight, ${s.queued.length} queued · ${s.free_slots}/${s.max_concurrent_runs} slots free`,
      `approvals    ${s.pending_approvals.length} pending`,
      `subscribers  ${subs.websockets} websocket, ${subs.sse} SSE, ${subs.long_polls} long-poll`,
      `sequence     ${s.latest_sequence} (flushed ${s.flushed_sequence})`,
      "",
    ].join("\n"),
  );
  const runs = [
    ...s.in_flight.map((r) => [r.id, r.status, r.provider, r.started_at ?? "—"]),
    ...s.queued.map((r) => [r.id, `queued #${r.position}`, r.provider, r.queued_at ?? "—"]),
  ];
  if (runs.length) io.stdout.write(`\n${table(["RUN", "STATUS", "PROVIDER", "SINCE"], runs)}`);
  const budgets = s.in_flight.flatMap((r) => (r.policy ? budgetRows(r.id, r.policy) : []));
  if (budgets.length) io.stdout.write(`\n${table(["RUN", "POLICY", "COUNTER", "USED", "LIMIT", "LEFT"], budgets)}`);
  if (s.pending_approvals.length) io.stdout.write(`\n${listTable(s.pending_approvals)}`);
  return EXIT.ok;
};

type PolicySummary = NonNullable<SessionRuntimeStatus["in_flight"][number]["policy"]>;
const BUDGETS = [
  ["tool calls", "tool_calls", "max_tool_calls"],
  ["tokens", "total_tokens", "max_total_tokens"],
  ["duration ms", "elapsed_ms", "max_duration_ms"],
  ["cost usd", "cost_usd", "max_cost_usd"],
] as const;

/** A governed run's counters beside its limits; counters without a limit are left out. */
function budgetRows(runId: string, p: PolicySummary): string[][] {
  return BUDGETS.flatMap(([label, counter, limit]) => {
    const max = p.limits[limit];
    if (max === undefined) return [];
    const used = p.counters[counter];
    return [
      [
        runId,
        p.policy,
        label,
        String(Math.round(used * 1e4) / 1e4),
        String(max),
        String(Math.max(0, Math.round((max - used) * 1e4) / 1e4)),
      ],
    ];
  });
}

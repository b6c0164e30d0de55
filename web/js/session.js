import { api, followSession } from "./api.js";
import { h, money, status, toolSummary } from "./format.js";
import { diffView } from "./diff.js";
import { approvalBox } from "./approval.js";
import { statusPanel } from "./status-panel.js";

/** One session: live events over the WebSocket, runs with status, approvals, diffs and a form to start a run. */
export async function sessionView(root, sessionId) {
  let session;
  try {
    session = await api(`/sessions/${sessionId}`);
  } catch (err) {
    if (err.status !== 404) throw err;
    root.replaceChildren(
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "No such session"),
        h("p", {}, `There is no session ${sessionId} for this key: it may have been deleted, or the link is wrong.`),
        h("p", {}, h("a", { href: "#/" }, "← Back to all sessions")),
      ),
    );
    return null;
  }
  const conn = h("span", { class: "muted", role: "status", "aria-label": "connection" }, "connecting…");
  const totals = h("p", { class: "muted" });
  const showTotals = (s) => {
    totals.textContent = `agent ${s.agent_id} · tokens ${s.token_usage.total} · cost ${money(s.cost_usd)}`;
  };
  showTotals(session);
  // Totals change with every usage update; refetch at most every half second.
  let totalsTimer = null;
  const refreshTotals = () => {
    totalsTimer ??= setTimeout(async () => {
      totalsTimer = null;
      showTotals(await api(`/sessions/${sessionId}`).catch(() => session));
    }, 500);
  };
  const snapshot = statusPanel(sessionId);
  let lastSeq = 0;
  let dropped = false;
  const statusEl = status(session.status);
  // Focusable: it scrolls, and keyboard users must reach what scrolled away.
  const eventsEl = h("div", { class: "events", role: "log", "aria-label": "events", tabindex: "0" });
  const runsBody = h("tbody");
  const approvalsEl = h("div", { role: "region", "aria-label": "pending approvals" });
  const diffEl = h("div");
  const pending = new Map();
  const streams = new Map();

  const refreshRuns = async () => {
    const { items } = await api(`/sessions/${sessionId}/runs?limit=200`);
    runsBody.replaceChildren(
      ...items
        .reverse()
        .map((r) =>
          h(
            "tr",
            {},
            h("td", { title: r.id }, `${r.id.slice(0, 12)}…`),
            h("td", {}, r.provider ?? "—"),
            h("td", {}, status(r.status)),
            h("td", {}, String(r.token_usage.total)),
            h("td", {}, money(r.cost_usd)),
            h(
              "td",
              {},
              ["queued", "running", "awaiting_approval"].includes(r.status)
                ? h(
                    "button",
                    { type: "button", onclick: () => api(`/sessions/${sessionId}/runs/${r.id}/cancel`, { method: "POST" }) },
                    "Cancel",
                  )
                : null,
              r.metadata?.workspace ? h("button", { type: "button", onclick: () => showDiff(r.id) }, "Diff") : null,
            ),
          ),
        ),
    );
  };
  const showDiff = async (runId) => {
    const d = await api(`/sessions/${sessionId}/runs/${runId}/diff`);
    diffEl.replaceChildren(
      h(
        "section",
        { class: "panel", "aria-label": "workspace diff" },
        h("h2", {}, `Diff of ${runId.slice(0, 14)}…`),
        h("p", {}, `${d.files_changed} files · +${d.insertions} −${d.deletions}`),
        diffView(d.patch),
      ),
    );
  };
  const renderApprovals = () => {
    approvalsEl.replaceChildren(...[...pending.values()].map((p) => approvalBox({ ...p, session_id: sessionId })));
  };
  const line = (e, cls, text) =>
    eventsEl.append(h("div", { class: `event ${cls}`, "data-seq": e.sequence }, h("span", { class: "seq" }, `#${e.sequence}`), text));

  const onEvent = (e) => {
    const d = e.data ?? {};
    lastSeq = e.sequence;
    switch (e.type) {
      case "message_streamed": {
        let el = streams.get(e.run_id);
        if (!el) {
          el = h("span", { class: "stream" });
          streams.set(e.run_id, el);
          line(e, "", el);
        }
        el.append(String(d.delta ?? d.content ?? ""));
        break;
      }
      case "tool_call_started":
        line(e, "tool", `◐ ${toolSummary(d.tool_name, d.tool_input)}`);
        break;
      case "tool_call_completed":
        line(e, "tool", `✓ ${d.tool_name}`);
        break;
      case "tool_call_failed":
        line(e, "error", `✗ ${d.tool_name}: ${d.error ?? ""}`);
        break;
      case "tool_approval_requested":
        pending.set(d.tool_call_id, { ...d, run_id: e.run_id });
        renderApprovals();
        line(e, "approval", `? approval needed: ${toolSummary(d.tool_name, d.tool_input)}`);
        break;
      case "tool_approval_granted":
      case "tool_approval_denied":
      case "tool_approval_expired":
        pending.delete(d.tool_call_id);
        renderApprovals();
        line(e, "approval", `${e.type.replace("tool_approval_", "approval ")}`);
        break;
      case "run_failed":
      case "error_occurred":
        line(e, "error", `! ${e.type}: ${d.error_message ?? ""}`);
        streams.delete(e.run_id);
        break;
      case "message_received":
        streams.delete(e.run_id);
        line(e, "", `● ${e.type}`);
        break;
      default:
        line(e, "", `● ${e.type}${e.run_id ? ` (${e.run_id.slice(0, 12)}…)` : ""}`);
    }
    if (e.type.startsWith("session_") && typeof d.to === "string")
      Object.assign(statusEl, { className: `status ${d.to}`, textContent: d.to });
    if (e.type.startsWith("run_") || e.type.startsWith("tool_approval")) {
      refreshRuns().catch(() => undefined);
      snapshot.refresh();
    }
    // What moves a run's policy counters: the snapshot shows them against the limits.
    else if (e.type.startsWith("tool_call_") || e.type === "token_usage_updated" || e.type === "policy_violation") snapshot.refresh();
    if (e.type === "token_usage_updated" || e.type.startsWith("run_")) refreshTotals();
    eventsEl.scrollTop = eventsEl.scrollHeight;
  };

  const provider = h(
    "select",
    { id: "run-provider", "aria-label": "provider" },
    ...["shell", "anthropic", "openai", "claude-code", "codex", "amp", "router"].map((p) => h("option", { value: p }, p)),
  );
  const input = h("textarea", { id: "run-input", "aria-label": "run input", placeholder: "echo hello" });
  const policy = h("textarea", {
    id: "run-policy",
    "aria-label": "policy JSON",
    placeholder: '{"tool_rules":[{"deny":["bash"]}],"on_violation":"request_approval"}',
  });
  const formError = h("p", { class: "event error", role: "alert" });
  const form = h(
    "form",
    {
      "aria-label": "start run",
      onsubmit: async (ev) => {
        ev.preventDefault();
        formError.textContent = "";
        try {
          const body = { provider: provider.value, input: input.value };
          if (policy.value.trim()) body.policy = JSON.parse(policy.value);
          await api(`/sessions/${sessionId}/runs`, { method: "POST", body });
          input.value = "";
          await refreshRuns();
        } catch (err) {
          formError.textContent = err.message;
        }
      },
    },
    h("label", { for: "run-provider" }, "Provider"),
    provider,
    h("label", { for: "run-input" }, "Input"),
    input,
    h("label", { for: "run-policy" }, "Policy (optional JSON)"),
    policy,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Start run")),
    formError,
  );

  root.replaceChildren(
    h(
      "section",
      { class: "panel" },
      h("div", { class: "row" }, h("h1", { class: "title" }, `Session ${session.id}`), statusEl, conn),
      totals,
    ),
    snapshot.el,
    // The runs table gets the full width so every column (Cost, Cancel/Diff) stays visible.
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Runs"),
      h(
        "div",
        { class: "table-wrap", role: "region", "aria-label": "runs", tabindex: "0" },
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ...["Run", "Provider", "Status", "Tokens", "Cost", "Actions"].map((t) => h("th", {}, t)))),
          runsBody,
        ),
      ),
    ),
    diffEl,
    h(
      "div",
      { class: "grid" },
      h("div", {}, h("section", { class: "panel" }, h("h2", {}, "Start a run"), form)),
      h("div", {}, approvalsEl, h("section", { class: "panel" }, h("h2", {}, "Events"), eventsEl)),
    ),
  );
  await refreshRuns();
  snapshot.refresh();
  const stopFollow = followSession(sessionId, 1, onEvent, (state) => {
    // The socket resumes from the last sequence it saw (api.js); say so, so a gap is never silent.
    if (state === "reconnecting") {
      dropped = true;
      conn.textContent = `connection lost at #${lastSeq}; reconnecting…`;
    } else if (state === "live" && dropped) conn.textContent = `live · resumed from #${lastSeq}`;
    else conn.textContent = state;
  });
  return () => {
    stopFollow();
    snapshot.stop();
    clearTimeout(totalsTimer);
  };
}

import { api } from "./api.js";
import { h, toolSummary } from "./format.js";

/**
 * One pending tool call with Approve and Deny (with an optional reason). The first click disables both buttons, so a
 * double click sends one request; a failure is shown in the box instead of escaping as an uncaught error.
 */
export function approvalBox(p, { onDecided } = {}) {
  const reason = h("input", {
    type: "text",
    "aria-label": `reason for denying ${p.tool_call_id}`,
    placeholder: "Reason (optional, sent with Deny)",
  });
  const note = h("p", { class: "muted", role: "status" });
  const approve = h("button", { type: "button", class: "primary" }, "Approve");
  const deny = h("button", { type: "button", class: "danger" }, "Deny");
  let sent = false;
  const decide = async (decision) => {
    if (sent) return;
    sent = true;
    approve.disabled = deny.disabled = true;
    const why = reason.value.trim();
    note.textContent = decision === "grant" ? "Approving…" : "Denying…";
    try {
      await api(`/sessions/${p.session_id}/runs/${p.run_id}/approvals/${p.tool_call_id}`, {
        method: "POST",
        body: { decision, ...(why ? { reason: why } : {}) },
      });
      note.textContent = decision === "grant" ? "Approved: the tool call runs now." : `Denied${why ? ` (${why})` : ""}: the agent is told.`;
      onDecided?.();
    } catch (err) {
      sent = false;
      approve.disabled = deny.disabled = false;
      note.textContent = `Could not send the decision: ${err.message}`;
    }
  };
  approve.addEventListener("click", () => decide("grant"));
  deny.addEventListener("click", () => decide("deny"));
  return h(
    "div",
    { class: "approval-box", "data-tool-call": p.tool_call_id },
    h("div", {}, `Run ${p.run_id.slice(0, 12)}… wants to run: `, h("code", {}, toolSummary(p.tool_name, p.tool_input))),
    p.policy_name ? h("div", { class: "muted" }, `policy ${p.policy_name}`) : null,
    reason,
    h("div", { class: "row" }, approve, deny),
    note,
  );
}

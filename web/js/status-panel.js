import { api } from "./api.js";
import { h } from "./format.js";
import { policyBudget } from "./policy.js";

/**
 * The session's runtime snapshot (GET …/status): runs in flight and queued, pending approvals, subscribers, and each
 * in-flight run's policy counters against its limits.
 */
export function statusPanel(sessionId) {
  const body = h("div", { class: "stats" }, h("span", { class: "muted" }, "loading…"));
  const budgets = h("div", { role: "region", "aria-label": "policy budgets" });
  const el = h("section", { class: "panel", "aria-label": "status snapshot" }, h("h2", {}, "Status"), body, budgets);
  const stat = (label, value) => h("div", { class: "stat" }, h("div", { class: "muted" }, label), h("strong", {}, String(value)));
  let timer = null;
  let tick = null;
  const load = async () => {
    const s = await api(`/sessions/${sessionId}/status`);
    const subs = s.subscribers;
    body.replaceChildren(
      stat("In flight", s.in_flight.length),
      stat("Queued", s.queued.length),
      stat("Pending approvals", s.pending_approvals.length),
      stat("Subscribers", subs.websockets + subs.sse + subs.long_polls),
      stat("Free slots", `${s.free_slots}/${s.max_concurrent_runs}`),
      stat("Accepting runs", s.accepting_runs ? (s.draining ? "draining" : "yes") : "no"),
    );
    const governed = s.in_flight.filter((r) => r.policy);
    budgets.replaceChildren(
      ...(governed.length ? [h("h3", {}, "Policy budgets"), ...governed.map((r) => policyBudget(r.id, r.policy))] : []),
    );
    // Duration counts up with no event to announce it: while a governed run is in flight, look again soon.
    clearTimeout(tick);
    tick = governed.length ? setTimeout(() => load().catch(() => undefined), 2_000) : null;
  };
  // Events trigger a refresh; a slow poll catches subscriber changes no event announces.
  const poll = setInterval(() => load().catch(() => undefined), 10_000);
  return {
    el,
    refresh: () => {
      timer ??= setTimeout(() => {
        timer = null;
        load().catch(() => undefined);
      }, 300);
    },
    stop: () => {
      clearInterval(poll);
      clearTimeout(timer);
      clearTimeout(tick);
    },
  };
}

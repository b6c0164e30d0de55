import { api } from "./api.js";
import { h } from "./format.js";

/** The session's runtime snapshot (GET …/status): runs in flight and queued, pending approvals, subscribers. */
export function statusPanel(sessionId) {
  const body = h("div", { class: "stats" }, h("span", { class: "muted" }, "loading…"));
  const el = h("section", { class: "panel", "aria-label": "status snapshot" }, h("h2", {}, "Status"), body);
  const stat = (label, value) => h("div", { class: "stat" }, h("div", { class: "muted" }, label), h("strong", {}, String(value)));
  let timer = null;
  const load = async () => {
    const s = await api(`/sessions/${sessionId}/status`);
    const subs = s.subscribers;
    body.replaceChildren(
      stat("In flight", s.in_flight.length), stat("Queued", s.queued.length),
      stat("Pending approvals", s.pending_approvals.length),
      stat("Subscribers", subs.websockets + subs.sse + subs.long_polls),
      stat("Free slots", `${s.free_slots}/${s.max_concurrent_runs}`),
      stat("Accepting runs", s.accepting_runs ? (s.draining ? "draining" : "yes") : "no"),
    );
  };
  // Events trigger a refresh; a slow poll catches subscriber changes no event announces.
  const poll = setInterval(() => load().catch(() => undefined), 10_000);
  return {
    el,
    refresh: () => { timer ??= setTimeout(() => { timer = null; load().catch(() => undefined); }, 300); },
    stop: () => { clearInterval(poll); clearTimeout(timer); },
  };
}

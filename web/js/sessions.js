import { api } from "./api.js";
import { h, money, status, when } from "./format.js";

/** A session has no provider of its own: the cell shows its latest run's (run.provider), filled in when it arrives. */
function providerCell(sessionId) {
  const td = h("td", {}, "—");
  api(`/sessions/${sessionId}/runs?limit=1`).then(
    (p) => {
      if (p.items[0]) td.textContent = p.items[0].provider;
    },
    () => undefined,
  );
  return td;
}

/** The sessions list: status, provider, tokens and cost, newest first, with paging and a "new session" button. */
export async function sessionsView(root) {
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "More");
  let cursor = null;
  const statusFilter = h(
    "select",
    { "aria-label": "filter by status" },
    h("option", { value: "" }, "any status"),
    ...["active", "paused", "completed", "failed", "cancelled"].map((v) => h("option", { value: v }, v)),
  );
  const tagFilter = h("input", { type: "search", "aria-label": "filter by tag", placeholder: "tag" });
  statusFilter.addEventListener("change", () => load(true).catch(() => undefined));
  tagFilter.addEventListener("change", () => load(true).catch(() => undefined));
  const load = async (reset) => {
    if (reset) {
      body.replaceChildren();
      cursor = null;
    }
    const q = new URLSearchParams({ limit: "25" });
    if (statusFilter.value) q.set("status", statusFilter.value);
    if (tagFilter.value.trim()) q.set("tag", tagFilter.value.trim());
    if (cursor) q.set("cursor", cursor);
    const page = await api(`/sessions?${q}`);
    for (const s of page.items) {
      body.append(
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: `#/sessions/${s.id}` }, `${s.id.slice(0, 16)}…`), h("div", { class: "muted" }, s.agent_id)),
          h("td", {}, status(s.status)),
          providerCell(s.id),
          h("td", {}, String(s.token_usage?.total ?? 0)),
          h("td", {}, money(s.cost_usd)),
          h("td", { class: "muted" }, when(s.created_at)),
        ),
      );
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load(false));
  const create = h(
    "button",
    {
      type: "button",
      class: "primary",
      onclick: async () => {
        const s = await api("/sessions", { method: "POST", body: { agent_id: "dashboard" } });
        location.hash = `#/sessions/${s.id}`;
      },
    },
    "New session",
  );
  root.replaceChildren(
    h(
      "section",
      { class: "panel" },
      h("div", { class: "row" }, h("h1", { class: "title" }, "Sessions"), create, statusFilter, tagFilter),
      h(
        "div",
        { class: "table-wrap", role: "region", "aria-label": "sessions", tabindex: "0" },
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ...["Session", "Status", "Provider", "Tokens", "Cost", "Created"].map((t) => h("th", {}, t)))),
          body,
        ),
      ),
      more,
    ),
  );
  await load(true);
  const timer = setInterval(() => load(true).catch(() => undefined), 10_000);
  return () => clearInterval(timer);
}

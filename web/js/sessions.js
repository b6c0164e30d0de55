import { api } from "./api.js";
import { h, money, status, when } from "./format.js";

/** The sessions list: status, provider, tokens and cost, newest first, with paging and a "new session" button. */
export async function sessionsView(root) {
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "More");
  let cursor = null;
  const load = async (reset) => {
    if (reset) { body.replaceChildren(); cursor = null; }
    const page = await api(`/sessions?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const s of page.items) {
      body.append(h("tr", {},
        h("td", {}, h("a", { href: `#/sessions/${s.id}` }, s.id.slice(0, 16) + "…"), h("div", { class: "muted" }, s.agent_id)),
        h("td", {}, status(s.status)),
        h("td", {}, s.metadata?.provider ?? "—"),
        h("td", {}, String(s.token_usage?.total ?? 0)),
        h("td", {}, money(s.cost_usd)),
        h("td", { class: "muted" }, when(s.created_at)),
      ));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load(false));
  const create = h("button", { type: "button", class: "primary", onclick: async () => {
    const s = await api("/sessions", { method: "POST", body: { agent_id: "dashboard" } });
    location.hash = `#/sessions/${s.id}`;
  } }, "New session");
  root.replaceChildren(h("section", { class: "panel" },
    h("div", { class: "row" }, h("h2", {}, "Sessions"), create),
    h("table", {}, h("thead", {}, h("tr", {}, ...["Session", "Status", "Provider", "Tokens", "Cost", "Created"].map((t) => h("th", {}, t)))), body),
    more,
  ));
  await load(true);
  const timer = setInterval(() => load(true).catch(() => undefined), 10_000);
  return () => clearInterval(timer);
}

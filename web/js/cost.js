import { api } from "./api.js";
import { h, money } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

/** Horizontal bars as inline SVG (no chart library). */
function bars(title, buckets) {
  const entries = Object.entries(buckets).sort((a, b) => b[1].cost_usd - a[1].cost_usd);
  const max = Math.max(1e-9, ...entries.map(([, b]) => b.cost_usd));
  const svg = document.createElementNS(SVG, "svg");
  const rowH = 26;
  svg.setAttribute("viewBox", `0 0 600 ${Math.max(rowH, entries.length * rowH)}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  entries.forEach(([name, b], i) => {
    const y = i * rowH;
    const label = document.createElementNS(SVG, "text");
    // Columns: name 0–170, bar 180–380, value from 390; the value fits in the 210 left of the 600-wide box.
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + 17));
    label.textContent = name.length > 22 ? `${name.slice(0, 21)}…` : name;
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", "180");
    rect.setAttribute("y", String(y + 4));
    rect.setAttribute("height", "18");
    rect.setAttribute("width", String(Math.max(2, (b.cost_usd / max) * 200)));
    rect.setAttribute("fill", "#58a6ff");
    const value = document.createElementNS(SVG, "text");
    value.setAttribute("x", "390");
    value.setAttribute("y", String(y + 17));
    value.textContent = `${money(b.cost_usd)} · ${b.run_count} runs`;
    svg.append(label, rect, value);
  });
  return h("div", { class: "panel" }, h("h2", {}, title), entries.length ? svg : h("p", { class: "muted" }, "No runs yet."));
}

export async function costView(root) {
  const c = await api("/query/cost");
  root.replaceChildren(
    h(
      "section",
      { class: "panel" },
      h("h1", { class: "title" }, "Cost"),
      h("p", {}, `Total ${money(c.total_cost_usd)} over ${c.run_count} runs (${c.unpriced_runs} unpriced) · ${c.tokens.total} tokens`),
    ),
    bars("By provider", c.by_provider),
    bars("By model", c.by_model),
  );
}

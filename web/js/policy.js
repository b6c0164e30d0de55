import { h, money } from "./format.js";

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const ROWS = [
  { label: "Tool calls", counter: "tool_calls", limit: "max_tool_calls", show: String },
  { label: "Tokens", counter: "total_tokens", limit: "max_total_tokens", show: String },
  { label: "Duration", counter: "elapsed_ms", limit: "max_duration_ms", show: seconds },
  { label: "Cost", counter: "cost_usd", limit: "max_cost_usd", show: money },
];

/**
 * A run's policy as GET …/status reports it while the run is in flight: each counter beside its limit and what is
 * left of it (a meter), the action on violation, and the violations so far.
 */
export function policyBudget(runId, summary) {
  const rows = ROWS.map((r) => {
    const used = Number(summary.counters[r.counter] ?? 0);
    const limit = summary.limits?.[r.limit];
    const has = typeof limit === "number";
    const left = has ? Math.max(0, limit - used) : null;
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, r.label),
      h("td", {}, r.show(used)),
      h("td", {}, has ? r.show(limit) : "no limit"),
      h("td", { class: has && left === 0 ? "over" : "" }, has ? `${r.show(left)} left` : "—"),
      h(
        "td",
        {},
        has
          ? h("meter", {
              min: "0",
              max: String(limit || 1),
              value: String(Math.min(used, limit)),
              "aria-label": `${r.label} used of limit`,
            })
          : null,
      ),
    );
  });
  const violations = summary.violations ?? [];
  return h(
    "div",
    { class: "policy-budget", "data-run": runId },
    h("p", {}, h("strong", {}, `Policy ${summary.policy}`), ` · run ${runId.slice(0, 12)}… · on violation: ${summary.action}`),
    // Focusable: on a phone it scrolls sideways, and keyboard users must reach what scrolled away.
    h(
      "div",
      { class: "table-wrap", role: "region", "aria-label": `policy budget of ${runId}`, tabindex: "0" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ...["Counter", "Used", "Limit", "Left", "Budget"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows),
      ),
    ),
    violations.length
      ? h(
          "ul",
          { class: "violations" },
          ...violations.map((v) => h("li", { class: "event error" }, `${v.kind}${v.details?.tool_name ? `: ${v.details.tool_name}` : ""}`)),
        )
      : h("p", { class: "muted" }, "No violations so far."),
  );
}

import { api } from "./api.js";
import { h, when } from "./format.js";
import { approvalBox } from "./approval.js";

/** The tenant's pending approvals across sessions (GET /v1/approvals?status=pending), decided in place. */
export async function approvalsView(root) {
  const list = h("div", { role: "region", "aria-label": "tenant pending approvals" });
  const load = async () => {
    const { items } = await api("/approvals?status=pending");
    list.replaceChildren(
      ...(items.length === 0
        ? [h("p", { class: "muted" }, "Nothing waits for approval.")]
        : items.map((p) =>
            h(
              "div",
              {},
              h(
                "div",
                { class: "muted" },
                h("a", { href: `#/sessions/${p.session_id}` }, `${p.session_id.slice(0, 16)}…`),
                ` · asked ${when(p.requested_at)}`,
              ),
              // A decided box stays, showing its outcome, until the next refresh drops it.
              approvalBox(p),
            ),
          )),
    );
  };
  root.replaceChildren(h("section", { class: "panel" }, h("h1", { class: "title" }, "Pending approvals"), list));
  await load();
  const timer = setInterval(() => load().catch(() => undefined), 10_000);
  return () => clearInterval(timer);
}

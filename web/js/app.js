import { api, apiKey } from "./api.js";
import { approvalsView } from "./approvals.js";
import { costView } from "./cost.js";
import { h } from "./format.js";
import { sessionView } from "./session.js";
import { sessionsView } from "./sessions.js";

const view = document.getElementById("view");
const forget = document.getElementById("forget-key");
let cleanup = null;

function keyForm() {
  const input = h("input", { id: "api-key", type: "password", "aria-label": "API key", autocomplete: "off" });
  const error = h("p", { role: "alert" });
  view.replaceChildren(
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "API key"),
      h(
        "form",
        {
          "aria-label": "key entry",
          onsubmit: async (ev) => {
            ev.preventDefault();
            apiKey.set(input.value.trim());
            try {
              await api("/sessions?limit=1");
              route();
            } catch (err) {
              apiKey.clear();
              error.textContent = `That key does not work: ${err.message}`;
            }
          },
        },
        h("label", { for: "api-key" }, "Enter your ASM API key (kept in this browser)"),
        input,
        h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Save key")),
        error,
      ),
    ),
  );
}

/** A malformed session link gets the same friendly page as a deleted session. */
function notFound(id) {
  view.replaceChildren(
    h(
      "section",
      { class: "panel" },
      h("h1", { class: "title" }, "No such session"),
      h("p", {}, `"${id}" is not a session id.`),
      h("p", {}, h("a", { href: "#/" }, "← Back to all sessions")),
    ),
  );
}

async function route() {
  cleanup?.();
  cleanup = null;
  forget.hidden = !apiKey.get();
  if (!apiKey.get()) return keyForm();
  const hash = location.hash || "#/";
  try {
    const m = hash.match(/^#\/sessions\/(ses_[0-9a-f]{32})$/);
    if (m) cleanup = await sessionView(view, m[1]);
    else if (hash === "#/cost") await costView(view);
    else if (hash === "#/approvals") cleanup = await approvalsView(view);
    else if (hash.startsWith("#/sessions/")) notFound(hash.slice("#/sessions/".length));
    else cleanup = await sessionsView(view);
  } catch (err) {
    if (err.status === 401) {
      apiKey.clear();
      return keyForm();
    }
    view.replaceChildren(h("p", { role: "alert", class: "event error" }, err.message));
  }
}

forget.addEventListener("click", () => {
  apiKey.clear();
  route();
});
window.addEventListener("hashchange", route);
route();

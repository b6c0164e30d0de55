// Small rendering helpers shared by the views.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const status = (s) => h("span", { class: `status ${s}` }, s);
/** Dollars always with four decimals, so amounts line up; a non-zero amount below that reads "<$0.0001". */
export const money = (n) => (n == null ? "—" : n > 0 && n < 0.0001 ? "<$0.0001" : `$${Number(n).toFixed(4)}`);
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

/** A human line for a tool call instead of raw JSON. */
export function toolSummary(name, input = {}) {
  const n = String(name).toLowerCase();
  if (n === "bash") return `$ ${input.command ?? ""}${input.args ? ` ${input.args.join(" ")}` : ""}`;
  if (n === "read_file") return `Read ${input.path}`;
  if (n === "write_file") return `Write ${input.path} (${String(input.content ?? "").split("\n").length} lines)`;
  if (n === "edit_file") return `Edit ${input.path}`;
  if (n === "list_files") return `List ${input.path ?? "."}`;
  return `${name} ${JSON.stringify(input).slice(0, 200)}`;
}

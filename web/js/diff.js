import { h } from "./format.js";

/** Splits a unified git patch into files: each with its path, its lines, and its added/removed counts. */
export function splitPatch(patch) {
  const files = [];
  let file = null;
  for (const line of String(patch ?? "").split("\n")) {
    if (line.startsWith("diff --git ")) {
      const m = line.match(/^diff --git a\/(.+) b\/(.+)$/);
      file = { path: m ? m[2] : line.slice(11), lines: [], added: 0, removed: 0 };
      files.push(file);
      continue;
    }
    // A patch without git headers is one unnamed file.
    if (!file) {
      file = { path: "(patch)", lines: [], added: 0, removed: 0 };
      files.push(file);
    }
    file.lines.push(line);
    if (line.startsWith("+") && !line.startsWith("+++")) file.added++;
    else if (line.startsWith("-") && !line.startsWith("---")) file.removed++;
  }
  return files.filter((f) => f.lines.length > 0 || f.path !== "(patch)");
}

const lineClass = (line) =>
  line.startsWith("+++") || line.startsWith("---") || /^(index|new file|deleted file|similarity|rename|old mode|new mode) /.test(line)
    ? "meta"
    : line.startsWith("+")
      ? "add"
      : line.startsWith("-")
        ? "del"
        : line.startsWith("@@")
          ? "hunk"
          : "";

/** A workspace diff rendered per file: a collapsible section each, with its counts and coloured lines. */
export function diffView(patch) {
  const files = splitPatch(patch);
  if (files.length === 0) return h("p", { class: "muted" }, "No textual changes.");
  return h(
    "div",
    { class: "diff-files" },
    ...files.map((f) =>
      h(
        "details",
        { class: "diff-file", open: true },
        h(
          "summary",
          {},
          h("span", { class: "diff-path" }, f.path),
          " ",
          h("span", { class: "add" }, `+${f.added}`),
          " ",
          h("span", { class: "del" }, `−${f.removed}`),
        ),
        // Focusable: it scrolls sideways for long lines.
        h(
          "div",
          { class: "diff", role: "region", "aria-label": `diff of ${f.path}`, tabindex: "0" },
          ...f.lines.map((line) => {
            const cls = lineClass(line);
            // The sign is also said in words for screen readers (colour alone does not carry it).
            const label = cls === "add" ? "added: " : cls === "del" ? "removed: " : "";
            return h("div", { class: cls }, label ? h("span", { class: "sr-only" }, label) : null, line || " ");
          }),
        ),
      ),
    ),
  );
}

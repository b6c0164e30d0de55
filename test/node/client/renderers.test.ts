import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createRenderer, renderAll, stripAnsi, toolTitle, type RenderFormat } from "../../../client/render/index";
import { EventSchema, type Event } from "../../../src/core/event";

/** A recorded session: a model run with text, tools (ok and failed), usage, a denied approval; a failed shell run; a cancelled run. */
const events: Event[] = z
  .array(EventSchema)
  .parse(JSON.parse(readFileSync(new URL("./fixtures/session-events.json", import.meta.url), "utf8")));
const render = (format: RenderFormat, opts: Parameters<typeof createRenderer>[1] = {}) => renderAll(createRenderer(format, opts), events);
const snap = (name: string) => new URL(`./__snapshots__/${name}`, import.meta.url).pathname;

describe("compact renderer", () => {
  it("writes the §12 tokens, one line per run", async () => {
    const text = render("compact");
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^r\+\(claude-sonnet-4-5\) >> I'll read the README first\. t\+Read t-Read t\+Write t-Write t\+Edit t-Edit tk:1520\/210\$0\.0077 !\(no-rm:tool_denied\) ap\?bash/,
    );
    expect(lines[0]).toContain(
      "ap?bash ap-bash t-bash! t+bash t-bash! >> The greeting is in place; one unrelated test fails. msg tk:2980/388$0.0148 r-:end_turn",
    );
    expect(lines[1]).toBe("r+ t+bash t-bash! !(Command exited with 2) !(command_failed (exit 2): Command exited with 2) r-:failed");
    expect(lines[2]).toBe("r+(gpt-5-mini) >> Thinking about ! r-:cancelled");
    await expect(text).toMatchFileSnapshot(snap("compact.txt"));
  });

  it("colours only when asked", () => {
    expect(render("compact")).not.toContain("\x1b[");
    const coloured = render("compact", { color: true });
    expect(coloured).toContain("\x1b[32mr+(claude-sonnet-4-5)\x1b[39m");
    expect(stripAnsi(coloured)).toBe(render("compact"));
  });

  it("marks an unknown type with ?", () => {
    const odd = { ...events[0]!, type: "from_the_future" } as unknown as Event;
    expect(createRenderer("compact").render(odd)).toBe("?");
  });
});

describe("verbose renderer", () => {
  it("prints one [type] line per event with streamed text inline", async () => {
    const text = render("verbose");
    const lines = text.trimEnd().split("\n");
    // 35 events, of which 3 consecutive streamed pairs/singles share lines: 35 - 1 (the two-delta block) = 34 lines.
    expect(lines).toHaveLength(34);
    expect(lines.every((l) => /^#\d+ \[[a-z_]+\]/.test(l))).toBe(true);
    expect(lines).toContain("#20 [message_streamed] The greeting is in place; one unrelated test fails.");
    expect(lines).toContain("#19 [tool_call_failed] bash id=toolu_05 error=exit 1");
    expect(lines).toContain("#25 [run_completed] stop_reason=end_turn tokens=4500/598 cost=$0.0225");
    await expect(text).toMatchFileSnapshot(snap("verbose.txt"));
  });
});

describe("studio renderer", () => {
  it("summarises tools in human terms with ◐ ✓ ✗ ●", async () => {
    const text = render("studio");
    expect(text).toContain("● I'll read the README first.\n");
    expect(text).toContain("◐ Read README.md\n✓ Read README.md\n  ⎿ Read 3 lines\n");
    expect(text).toContain("✓ Wrote 3 lines to GREETING.md\n");
    expect(text).toContain("✓ Edited README.md\n");
    expect(text).toContain("? Approval needed: $ rm -rf build (policy no-rm, call toolu_04)\n✗ Denied bash · not now\n");
    expect(text).toContain("✗ $ npm test\n  ⎿ 7 lines · exit 1\n");
    expect(text).toContain("✗ $ ls missing-dir\n");
    expect(text).toContain("✓ Done · end_turn · 4500 in / 598 out · $0.0225\n");
    expect(text).toContain("✗ Failed command_failed (exit 2): Command exited with 2\n");
    expect(text).toContain("● Thinking about\n✗ Cancelled · cancelled by user\n");
    // The final message was streamed: it is not printed a second time.
    expect(text.match(/one unrelated test fails\./g)).toHaveLength(1);
    expect(text).not.toMatch(/\x1b/);
    await expect(text).toMatchFileSnapshot(snap("studio-summary.txt"));
  });

  it("previews the first lines or shows the full output", async () => {
    const preview = render("studio", { toolOutput: "preview", previewLines: 2 });
    expect(preview).toContain("✗ $ npm test\n  ⎿ > demo@1.0.0 test\n    > vitest run\n    … +5 lines\n    exit 1\n");
    const full = render("studio", { toolOutput: "full" });
    expect(full).toContain("     Tests  1 failed | 11 passed (12)\n");
    expect(full).toContain("  ⎿ ls: cannot access 'missing-dir': No such file or directory\n");
    await expect(preview).toMatchFileSnapshot(snap("studio-preview.txt"));
    await expect(full).toMatchFileSnapshot(snap("studio-full.txt"));
  });

  it("on a TTY replaces a tool's ◐ line with its result when nothing came between", () => {
    const tty = render("studio", { cursor: true, color: true });
    const screen = stripAnsi(applyLineReplacements(tty));
    expect(screen).not.toContain("◐");
    expect(screen).toContain("● I'll read the README first.\n✓ Read README.md\n");
    // Five tools started (the refused rm never ran); each ◐ line was replaced.
    expect(tty.split("\x1b[1A\r\x1b[2K").length - 1).toBe(5);
  });

  it("titles tools by what they do", () => {
    expect(toolTitle("Bash", { command: "git status" }, false)).toBe("$ git status");
    expect(toolTitle("read_file", { path: "src/x.ts" }, true)).toBe("Read src/x.ts");
    expect(toolTitle("write", { path: "a.txt", content: "one\n" }, true)).toBe("Wrote 1 line to a.txt");
    expect(toolTitle("Grep", { pattern: "TODO", path: "src" }, false)).toBe('Search "TODO" in src');
    expect(toolTitle("LS", { path: "lib" }, false)).toBe("List lib");
    expect(toolTitle("fetch_url", { url: "https://x" }, false)).toBe('fetch_url {"url":"https://x"}');
  });
});

/** What a terminal shows: "up one line, clear it" erases the line before it. */
function applyLineReplacements(text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(/[^\n]*\n\x1b\[1A\r\x1b\[2K/, "");
    if (next === out) return out;
    out = next;
  }
}

describe("jsonl renderer", () => {
  it("full mode: each event as the API returns it (sequence, timestamp, data)", () => {
    const lines = render("jsonl")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(events.length);
    expect(lines[6]).toEqual(JSON.parse(JSON.stringify(events[6])));
    expect(lines[6]).toMatchObject({
      timestamp: "2026-07-02T10:00:02.100Z",
      type: "tool_call_started",
      sequence: 7,
      data: { tool_call_id: "toolu_01" },
    });
  });

  it("compact mode: {t, e:{t: code}} with the §12 codes, cost as $ and short stop reasons", async () => {
    const text = render("jsonl", { jsonlMode: "compact" });
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { t: number; e: Record<string, unknown> });
    expect(new Set(lines.map((l) => l.e.t))).toEqual(new Set(["rs", "ms", "ts", "tc", "tu", "mr", "rc", "rf", "rx", "er"]));
    expect(lines[0]).toEqual({ t: Date.parse("2026-07-02T10:00:01.400Z"), e: { t: "rs", r: events[4]!.run_id, m: "claude-sonnet-4-5" } });
    expect(lines.find((l) => l.e.t === "tu")!.e).toEqual({ t: "tu", i: 1520, o: 210, $: 0.00771 });
    expect(lines.find((l) => l.e.t === "rc")!.e).toEqual({ t: "rc", sr: "end", $: 0.02247 });
    expect(lines.filter((l) => l.e.t === "tc").map((l) => l.e.ok)).toEqual([true, true, true, false, false, false]);
    await expect(text).toMatchFileSnapshot(snap("jsonl-compact.txt"));
  });
});

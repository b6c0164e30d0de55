import { describe, expect, it } from "vitest";
import { promptOf, withTranscript } from "../../../../src/providers/cli/prompt";

describe("CLI prompt", () => {
  it("takes a string, {prompt}, or the last user message", () => {
    expect(promptOf("do it")).toBe("do it");
    expect(promptOf({ prompt: "p" })).toBe("p");
    expect(
      promptOf({
        messages: [
          { role: "user", content: "first" },
          { role: "assistant", content: "ok" },
          { role: "user", content: "second" },
        ],
      }),
    ).toBe("second");
    expect(() => promptOf({ messages: [{ role: "assistant", content: "x" }] })).toThrow(/needs a prompt/);
    expect(() => promptOf("  ")).toThrow(/needs a prompt/);
  });

  it("writes a replay transcript in front of the prompt, without system messages", () => {
    const text = withTranscript("now the docs", [
      { role: "system", content: "secret system" },
      { role: "user", content: "fix add()" },
      { role: "assistant", content: null, tool_call_id: "t1", tool_name: "bash", tool_input: { command: "npm test" } },
      { role: "tool", content: null, tool_call_id: "t1", tool_name: "bash", tool_output: "PASS" },
      { role: "assistant", content: "Fixed." },
    ]);
    expect(text).toBe(
      [
        "Conversation so far:",
        "[user]: fix add()",
        '[assistant called bash]: {"command":"npm test"}',
        "[tool result bash]: PASS",
        "[assistant]: Fixed.",
        "",
        "Current request:",
        "now the docs",
      ].join("\n"),
    );
    expect(withTranscript("p", [])).toBe("p");
    expect(withTranscript("p", null)).toBe("p");
  });
});

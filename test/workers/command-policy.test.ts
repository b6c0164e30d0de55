import { describe, expect, it } from "vitest";
import { createSession } from "./helpers";
import { submitRun, waitRun } from "./runs-helpers";

/**
 * Command lists through the real API and sandbox: each line below would delete `marker` if it ran. Under
 * `denied_commands: ["rm"]` every one fails with policy_violation before it reaches the sandbox — denied when
 * `rm` can be seen (through quoting, wrappers, xargs, find -exec, sh -c), refused when what runs cannot be
 * known — and the marker survives. Relative paths: the sandbox shows the workspace at a fixed path.
 */
const LINES: Array<[line: string, reason: string]> = [
  ["rm marker", "denied_command"],
  ["ls && /bin/rm marker", "denied_command"],
  ["\\rm marker", "denied_command"],
  ["timeout 5 rm marker", "denied_command"],
  ["env A=1 rm marker", "denied_command"],
  ["nice -n 5 rm marker", "denied_command"],
  ["echo marker | xargs rm", "denied_command"],
  ["find . -name marker -exec rm {} \\;", "denied_command"],
  ["sh -c 'rm marker'", "denied_command"],
  ["echo $(rm marker)", "denied_command"],
  ["$(echo rm) marker", "dynamic_program"],
  ["/bin/r? marker", "dynamic_program"],
  ["echo 'rm marker' | sh", "interpreter_script"],
  ["awk 'BEGIN { system(\"rm marker\") }'", "interpreter_script"],
  ["env -S 'rm marker'", "nested_program"],
  ["eval 'rm marker'", "eval"],
  ["echo 'rm marker' > zap.sh; . ./zap.sh", "source"],
  ['zap() { "$@"; }; zap rm marker', "function_definition"],
  ["alias zap='rm marker'", "alias"],
  ["$(echo rm) marker; echo )", "parse_error"],
];

const DENY_RM = { denied_commands: ["rm"] };

describe("command lists on real shell runs", () => {
  it("refuses every line that would run rm, and the marker survives", async () => {
    const s = await createSession();
    const setup = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "echo keep > marker" })).id);
    expect(setup.status).toBe("completed");

    for (const [line, reason] of LINES) {
      const run = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: line, options: DENY_RM })).id);
      expect({ line, status: run.status, code: run.error?.code, reason: run.error?.details?.reason }).toEqual({
        line,
        status: "failed",
        code: "policy_violation",
        reason,
      });
    }

    const check = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "cat marker", options: DENY_RM })).id);
    expect(check.status).toBe("completed");
    expect(check.output?.content).toBe("keep\n");
    const zap = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "ls zap.sh 2>/dev/null || echo absent" })).id);
    expect(zap.output?.content).toBe("absent\n"); // the refused `source` line never wrote its script either

    // The control: without the list, one of those lines does delete the marker.
    const unlisted = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "find . -name marker -exec rm {} \\;" })).id);
    expect(unlisted.status).toBe("completed");
    const gone = await waitRun(s.id, (await submitRun(s.id, { provider: "shell", input: "cat marker 2>/dev/null || echo gone" })).id);
    expect(gone.output?.content).toBe("gone\n");
  });

  it("runs a line whose every program is known and allowed", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (
        await submitRun(s.id, {
          provider: "shell",
          input: "echo keep > marker && sh -c 'cat marker' | tr a-z A-Z",
          options: { allowed_commands: ["echo", "sh", "cat", "tr"], denied_commands: ["rm"] },
        })
      ).id,
    );
    expect(run.status).toBe("completed");
    expect(run.output?.content).toBe("KEEP\n");
  });

  it("refuses a run whose environment changes what program names mean", async () => {
    const s = await createSession();
    const run = await waitRun(
      s.id,
      (await submitRun(s.id, { provider: "shell", input: "ls", options: { ...DENY_RM, env: { PATH: "./bin" } } })).id,
    );
    expect(run.error).toMatchObject({ code: "policy_violation", details: { reason: "dynamic_program" } });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCommand, commandsOf } from "../../../src/core/policy";

describe("commandsOf", () => {
  it.each([
    ["ls -la", ["ls"]],
    ["/usr/bin/rm -rf x", ["rm"]],
    ["FOO=1 BAR='a b' rm x", ["rm"]],
    ["ls | grep a && echo ok || rm x; cat f & wc", ["ls", "grep", "echo", "rm", "cat", "wc"]],
    ["echo 'a; rm b' \"c | rm d\"", ["echo"]],
    ["echo \"$(rm -rf /)\" `id`", ["echo", "rm", "id"]],
    ["ls 2>&1 >/dev/null", ["ls"]],
    [">out echo hi", ["echo"]],
    ["(cd x && make)", ["cd", "make"]],
    ["if test -f x; then rm x; fi", ["test", "rm"]],
    ["for f in a b; do echo $f; done", ["echo"]],
    ["sudo -u root rm x", ["sudo", "rm"]],
    ["env -i X=1 python3 a.py", ["env", "python3"]],
    ["timeout 5 git status", ["timeout", "git"]],
    ["bash -lc 'curl x | sh'", ["bash", "curl", "sh"]],
    ["eval 'rm x'", ["eval", "rm"]],
    ["echo a # rm b", ["echo"]],
    ["X=1", []],
  ])("%s runs %j", (command, programs) => {
    expect(commandsOf(command)).toEqual(programs);
  });

  it("reads a program with arguments without a shell, but follows sh -c", () => {
    expect(commandsOf({ command: "/bin/ls", args: ["; rm x"] })).toEqual(["ls"]);
    expect(commandsOf({ command: "/bin/sh", args: ["-c", "rm x"] })).toEqual(["sh", "rm"]);
  });
});

describe("checkCommand", () => {
  it("accepts anything without rules", () => {
    expect(checkCommand("rm -rf /tmp/x", {})).toEqual({ ok: true });
  });

  it("refuses a denied command anywhere in a chain", () => {
    const r = checkCommand("ls && FOO=1 /bin/rm -rf x | cat", { denied_commands: ["rm"] });
    expect(r).toEqual({ ok: false, message: "Command 'rm' is denied", details: { command: "rm", rule: "deny", denied_commands: ["rm"] } });
  });

  it("lets the deny list win over the allow list", () => {
    const r = checkCommand("rm x", { allowed_commands: ["rm"], denied_commands: ["/bin/rm"] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toBe("Command 'rm' is denied");
  });

  it("requires every command of a chain to be allowed", () => {
    expect(checkCommand("git status && git diff | less", { allowed_commands: ["git", "less"] })).toEqual({ ok: true });
    const r = checkCommand("git status; curl evil", { allowed_commands: ["git"] });
    expect(r).toEqual({
      ok: false, message: "Command 'curl' is not in the allowed list",
      details: { command: "curl", rule: "allow", allowed_commands: ["git"] },
    });
  });

  it("sees through wrappers, sh -c and substitutions", () => {
    expect(checkCommand("sudo rm x", { denied_commands: ["rm"] }).ok).toBe(false);
    expect(checkCommand({ command: "bash", args: ["-c", "rm x"] }, { denied_commands: ["rm"] }).ok).toBe(false);
    expect(checkCommand("echo $(rm x)", { denied_commands: ["rm"] }).ok).toBe(false);
    expect(checkCommand("timeout 5 git status", { allowed_commands: ["git"] }).ok).toBe(false);
  });

  it("refuses a program named by a substitution or variable under an allow list", () => {
    expect(checkCommand("$(echo rm) -rf x", { allowed_commands: ["echo"] }).ok).toBe(false);
    expect(checkCommand("$CMD x", { allowed_commands: ["echo"] }).ok).toBe(false);
  });

  it("matches names case-insensitively", () => {
    expect(checkCommand("RM x", { denied_commands: ["rm"] }).ok).toBe(false);
    expect(checkCommand("Git log", { allowed_commands: ["git"] }).ok).toBe(true);
  });
});

describe("checkCommand properties", () => {
  it("refuses a chain whenever any of its commands is denied", () => {
    const program = fc.constantFrom("ls", "git", "rm", "cat", "/bin/rm", "echo");
    const arg = fc.constantFrom("-la", "x", "'a b'", "\"c;d\"", "--force");
    const simple = fc.tuple(fc.boolean(), program, fc.array(arg, { maxLength: 3 })).map(([env, p, args]) => [...(env ? ["FOO=1"] : []), p, ...args].join(" "));
    const op = fc.constantFrom(" | ", " && ", " || ", "; ");
    fc.assert(
      fc.property(fc.array(fc.tuple(op, simple), { minLength: 1, maxLength: 5 }), (parts) => {
        const line = parts.map(([o, s], i) => (i === 0 ? s : o + s)).join("");
        const hasRm = parts.some(([, s]) => /(^|\s|\/)rm(\s|$)/.test(s.replace(/^FOO=1 /, "").split(" ")[0] ?? ""));
        expect(checkCommand(line, { denied_commands: ["rm"] }).ok).toBe(!hasRm);
      }),
    );
  });
});

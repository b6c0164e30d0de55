// Shared by the fake `claude`, `codex` and `amp` executables: replays a recorded stream.
// CommonJS on purpose (.cjs): the fakes run as plain programs inside the sandbox, whatever the package type.
//
// Stream files: test/fakes/cli/streams/<cli>-<scenario>.jsonl. Every line is written to stdout verbatim (so a
// malformed line stays malformed), except directives starting with "#":
//   #sleep <ms>        pause before the next line
//   #stderr <text>     write <text> and a newline to stderr
//   #exit <code>       stop here with that exit code
//   #partial           the following lines are `stream_event`s, written only with --include-partial-messages
//   #end-partial       back to normal lines
//   # <anything else>  a comment
// The scenario comes from FAKE_CLI_SCENARIO, else from a marker "[scenario:<name>]" in the argv, else "success".
// FAKE_CLI_ARGV_FILE: the argv (JSON array) is written there. FAKE_CLI_PID_FILE: the pid is written there.
const fs = require("node:fs");
const path = require("node:path");

function scenarioOf(argv) {
  if (process.env.FAKE_CLI_SCENARIO) return process.env.FAKE_CLI_SCENARIO;
  for (const arg of argv) {
    const m = /\[scenario:([a-z0-9-]+)\]/.exec(arg);
    if (m) return m[1];
  }
  return "success";
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function write(stream, text) {
  return new Promise((resolve) => (stream.write(text) ? resolve() : stream.once("drain", resolve)));
}

/** `check(argv)` returns an error message for a flag set the real CLI would reject, or null. */
async function replay(cli, check) {
  const argv = process.argv.slice(2);
  if (process.env.FAKE_CLI_ARGV_FILE) fs.writeFileSync(process.env.FAKE_CLI_ARGV_FILE, JSON.stringify(argv));
  if (process.env.FAKE_CLI_PID_FILE) fs.writeFileSync(process.env.FAKE_CLI_PID_FILE, String(process.pid));
  const problem = check(argv);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  const scenario = scenarioOf(argv);
  const file = path.join(__dirname, "streams", `${cli}-${scenario}.jsonl`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`fake ${cli}: no recorded stream ${path.basename(file)}\n`);
    process.exit(2);
  }
  const partialWanted = argv.includes("--include-partial-messages");
  let inPartial = false;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const [directive, ...rest] = line.slice(1).split(" ");
      const arg = rest.join(" ");
      if (directive === "sleep") await sleep(Number(arg));
      else if (directive === "stderr") await write(process.stderr, `${arg}\n`);
      else if (directive === "exit") process.exit(Number(arg));
      else if (directive === "partial") inPartial = true;
      else if (directive === "end-partial") inPartial = false;
      continue;
    }
    if (inPartial && !partialWanted) continue;
    await write(process.stdout, `${line}\n`);
  }
  process.exit(0);
}

module.exports = { replay };

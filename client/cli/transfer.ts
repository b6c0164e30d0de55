import type { Command } from "./commands";
import { EXIT, UsageError } from "./io";

/** `asm export SESSION > file`: the API's NDJSON export, written to stdout chunk by chunk as it arrives. */
export const exportCommand: Command = async (client, io, positionals) => {
  const session = positionals[0];
  if (!session) throw new UsageError("missing <session>");
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  let lastLine = "";
  let partial = "";
  for await (const chunk of client.exportSessionStream(session, io.signal)) {
    io.stdout.write(chunk);
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    const complete = lines.filter((l) => l.trim() !== "");
    if (complete.length) lastLine = complete[complete.length - 1]!;
  }
  // The server ends a complete export with an `end` line; a stream that stops before it was cut off.
  if (partial.trim() || !isEndLine(lastLine)) {
    io.stderr.write("asm: the export was cut off before its end line (the output is incomplete; import would refuse it)\n");
    return EXIT.error;
  }
  return EXIT.ok;
};

function isEndLine(line: string): boolean {
  try {
    return (JSON.parse(line) as { kind?: unknown }).kind === "end";
  } catch {
    return false;
  }
}

/** `asm import FILE` (or `-` for stdin): restores an export as a new session and prints its id. */
export const importCommand: Command = async (client, io, positionals, flags) => {
  const path = positionals[0];
  if (!path) throw new UsageError("missing <file> (an `asm export` output, or - for stdin)");
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const text = path === "-" ? await io.readStdin() : io.readFile(path);
  if (text === null) throw new UsageError(`cannot read ${path}`);
  if (!text.trim()) throw new UsageError(`${path} is empty`);
  const result = await client.importSession(text, io.signal);
  if (flags.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    io.stdout.write(`${result.session.id}\n`);
    io.stderr.write(
      `imported ${result.imported_from}: ${result.run_count} runs, ${result.event_count} events, sequences up to #${result.latest_sequence}\n`,
    );
  }
  return EXIT.ok;
};

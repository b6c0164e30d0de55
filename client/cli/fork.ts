import { flagInt, need, print, type Command } from "./commands";
import { EXIT, UsageError } from "./io";

/** `asm fork SESSION --at N`: a new session with events 1..N; prints its id (--json: the API's ForkResult). */
export const forkCommand: Command = async (client, io, positionals, flags) => {
  const sessionId = need(positionals, 0, "session");
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const at = flagInt(flags, "at");
  if (at === undefined || at < 1) throw new UsageError("--at N is required (the last sequence the fork keeps, 1 or more)");
  const result = await client.forkSession(sessionId, at, io.signal);
  if (flags.json) print(io, result);
  else {
    io.stdout.write(`${result.session.id}\n`);
    // The id alone on stdout (for $(asm fork …)); what was copied goes to stderr.
    io.stderr.write(
      `forked ${result.forked_from.session_id} at #${result.forked_from.at_sequence}: ${result.run_count} runs, ${result.event_count} events, workspace ${result.workspace.status}\n`,
    );
  }
  return EXIT.ok;
};

/** What the CLI touches outside itself, injectable so tests run it in-process. */
export type CliIo = {
  stdout: { write(text: string): unknown; isTTY?: boolean | undefined };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  readFile: (path: string) => string | null;
  readStdin: () => Promise<string>;
  homeDir: string;
  /** Asks a yes/no question on the terminal; null when there is no interactive terminal. */
  ask: ((question: string) => Promise<string>) | null;
  fetch?: typeof fetch | undefined;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal | undefined;
};

/**
 * Exit codes: 0 ok, 1 API or runtime error, 2 usage error, 3 a waited-for run ended without completing, 4 a
 * waited-for run needs an approval and there is no terminal to ask on.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, runUnsuccessful: 3, awaitingApproval: 4, interrupted: 130 } as const;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

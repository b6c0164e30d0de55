/** `asm help compact`: what each token of the compact format means (the format itself stays terse). */
export const COMPACT_LEGEND = [
  "compact format: one line per run, tokens in the order they happen",
  "  r+(model)     run started (with its model)",
  "  r-:reason     run ended: end_turn, exit_code_0, failed, cancelled, timeout…",
  "  t+Name        tool call started      t-Name   tool call finished      t-Name!  tool call failed",
  "  >> text       text the model streamed",
  "  msg           a whole message received",
  "  tk:in/out$c   token usage: input/output tokens, then cost in USD",
  "  ap?Name       a tool call waits for approval      ap+Name  granted      ap-Name  denied or expired",
  "  !(…)          an error, failure or policy violation (a failed shell command reads command_failed (exit N))",
  "  ?type         an event type this CLI does not know",
  "",
].join("\n");

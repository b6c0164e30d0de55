import type { Run } from "../../src/core/run";
import { EMPTY_USAGE } from "../../src/core/usage";

/** A run as an adapter sees it mid-execution (running, nothing spent yet); tests override what they look at. */
export function runFixture(over: Partial<Run> & Pick<Run, "id" | "session_id" | "provider">): Run {
  return {
    status: "running",
    model: null,
    input: "hi",
    output: null,
    error: null,
    token_usage: { ...EMPTY_USAGE },
    cost_usd: null,
    turn_count: 0,
    metadata: {},
    idempotency_key: null,
    queued_at: "",
    started_at: "",
    ended_at: null,
    ...over,
  };
}

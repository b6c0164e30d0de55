// 11. Where case 8's p99 at 1,000 subscribers comes from: each side's rounds taken apart. Per round, when the send
// was answered, the first socket's arrival and the spread to the last; a "late start" is a round whose first
// arrival came over three times the median first arrival (a stall before anything went out).
import { measureRounds, withAsmSubscribers } from "../fanout.mjs";
import { percentile } from "../harness.mjs";
import { withPeerSubscribers } from "../peer.mjs";

const SUBSCRIBERS = 1_000;
const LATE_START_FACTOR = 3;

export async function run(stack) {
  const ours = await withAsmSubscribers(stack, SUBSCRIBERS, measureRounds);
  const peer = await withPeerSubscribers(stack, SUBSCRIBERS, "rounds", measureRounds);
  return { name: "fanout_rounds", rows: [summarise("asm", ours), summarise("agents", peer)] };
}

function summarise(side, rounds) {
  const firsts = rounds.map((r) => Math.min(...r.arrivals));
  const spreads = rounds.map((r, i) => Math.max(...r.arrivals) - firsts[i]);
  const medianFirst = pct(firsts, 50);
  const late = rounds.filter((_, i) => firsts[i] > LATE_START_FACTOR * medianFirst);
  const arrivals = rounds.flatMap((r) => r.arrivals);
  return {
    side,
    p50_ms: pct(arrivals, 50).toFixed(1),
    p99_ms: pct(arrivals, 99).toFixed(1),
    answered_p50_ms: pct(
      rounds.map((r) => r.answered),
      50,
    ).toFixed(1),
    first_p50_ms: medianFirst.toFixed(1),
    first_p99_ms: pct(firsts, 99).toFixed(1),
    spread_p50_ms: pct(spreads, 50).toFixed(1),
    spread_p99_ms: pct(spreads, 99).toFixed(1),
    late_starts: late.length,
    // Answered before the first frame came: the append was done on time, the delivery pass started late.
    late_after_answer: late.filter((r) => r.answered < Math.min(...r.arrivals)).length,
  };
}

function pct(values, p) {
  return percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
}

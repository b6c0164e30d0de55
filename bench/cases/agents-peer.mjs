// 8. A peer: the same fan-out through the Cloudflare `agents` package (setState persists and broadcasts
// `cf_agent_state` to every connection), measured in the same run against ASM's append → WebSocket delivery.
import { measureAsmFanout, ROUNDS } from "../fanout.mjs";
import { measurePeerFanout, sampleEvent, warmBothPaths } from "../peer.mjs";

/**
 * Sizes measured again with the peer's state carrying a copy of ASM's own event (same payload on both sides): an
 * ASM frame is a whole event (~270 bytes: id, sequence, timestamp, origin …) where the marker state is ~60, and at
 * these sizes the client's and the proxy's work per byte is a visible part of the last arrival.
 */
const SAME_PAYLOAD_SIZES = [100, 1000];

export async function run(stack) {
  await warmBothPaths(stack, "warm");
  const rows = [];
  for (const n of [1, 10, 100, 1000]) {
    // Our subscribers ack at the typed client's pace, with its AckPacer.
    rows.push(row(`subscribers=${n}`, await measureAsmFanout(stack, n), await measurePeerFanout(stack, n, String(n))));
  }
  const event = await sampleEvent(stack);
  for (const n of SAME_PAYLOAD_SIZES) {
    const ours = await measureAsmFanout(stack, n);
    rows.push(row(`subscribers=${n}, same payload`, ours, await measurePeerFanout(stack, n, `event-${n}`, ROUNDS, event)));
  }
  return { name: "agents_peer_fanout", rows };
}

function row(label, ours, peer) {
  return {
    case: label,
    asm_p50_ms: ours.p50.toFixed(2),
    asm_p99_ms: ours.p99.toFixed(2),
    agents_p50_ms: peer.p50.toFixed(2),
    agents_p99_ms: peer.p99.toFixed(2),
    ratio_p50: (ours.p50 / peer.p50).toFixed(2),
    ratio_p99: (ours.p99 / peer.p99).toFixed(2),
  };
}

// 8. A peer: the same fan-out through the Cloudflare `agents` package (setState persists and broadcasts
// `cf_agent_state` to every connection), measured in the same run against ASM's append → WebSocket delivery.
import { measureAsmFanout, measureFanout, openAll } from "../fanout.mjs";

/**
 * Unmeasured rounds through both paths before the first measurement. ASM is measured first at each size, so on a
 * fresh stack it alone met the cold runtime (code not yet optimised, first storage and first D1 writes).
 */
const WARM_ROUNDS = 300;

export async function run(stack) {
  await measureAsmFanout(stack, 1, WARM_ROUNDS);
  await measurePeerFanout(stack, 1, "warm", WARM_ROUNDS);
  const rows = [];
  for (const n of [1, 10, 100, 1000]) {
    // Our subscribers ack at the typed client's pace, with its AckPacer.
    const oursStats = await measureAsmFanout(stack, n);
    const peerStats = await measurePeerFanout(stack, n, String(n));
    rows.push({
      case: `subscribers=${n}`,
      asm_p50_ms: oursStats.p50.toFixed(2),
      asm_p99_ms: oursStats.p99.toFixed(2),
      agents_p50_ms: peerStats.p50.toFixed(2),
      agents_p99_ms: peerStats.p99.toFixed(2),
      ratio_p50: (oursStats.p50 / peerStats.p50).toFixed(2),
      ratio_p99: (oursStats.p99 / peerStats.p99).toFixed(2),
    });
  }
  return { name: "agents_peer_fanout", rows };
}

/** The peer's side: a fresh agent instance, `n` connections, one setState (persist + broadcast) per round. */
async function measurePeerFanout(stack, n, label, rounds) {
  const agentPath = `/agents/bench-agent/peer-${label}-${Date.now()}`;
  const peers = await openAll(Array.from({ length: n }, () => `${stack.url.replace("http", "ws")}${agentPath}`));
  // Same client work on both sides: ASM's subscribers parse every frame (to ack by sequence), and so does the
  // `agents` client (AgentClient parses each message to find `cf_agent_state`).
  peers.forEach((ws) =>
    ws.on("message", (buf) => {
      try {
        JSON.parse(buf.toString());
      } catch {
        /* not JSON */
      }
    }),
  );
  try {
    return await measureFanout(
      peers,
      async (marker) => {
        const res = await fetch(`${stack.url}${agentPath}`, { method: "POST", body: JSON.stringify({ marker }) });
        if (res.status !== 201) throw new Error(`agent setState: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      },
      rounds,
    );
  } finally {
    peers.forEach((ws) => ws.close());
  }
}

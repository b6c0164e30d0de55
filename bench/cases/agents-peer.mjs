// 8. A peer: the same fan-out through the Cloudflare `agents` package (setState persists and broadcasts
// `cf_agent_state` to every connection), measured in the same run against ASM's append → WebSocket delivery.
import { measureAsmFanout, measureFanout, openAll } from "../fanout.mjs";

export async function run(stack) {
  const rows = [];
  for (const n of [1, 10, 100, 1000]) {
    // Our subscribers ack at the typed client's pace, with its AckPacer.
    const oursStats = await measureAsmFanout(stack, n);

    const agentPath = `/agents/bench-agent/peer-${n}-${Date.now()}`;
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
    const peerStats = await measureFanout(peers, async (marker) => {
      const res = await fetch(`${stack.url}${agentPath}`, { method: "POST", body: JSON.stringify({ marker }) });
      if (res.status !== 201) throw new Error(`agent setState: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    peers.forEach((ws) => ws.close());
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

// 8. A peer: the same fan-out through the Cloudflare `agents` package (setState persists and broadcasts
// `cf_agent_state` to every connection), measured in the same run against ASM's append → WebSocket delivery.
import { appendMarker, measureFanout, openAll } from "../fanout.mjs";
import { createSession, openSessionSocket } from "../harness.mjs";

export async function run(stack) {
  const rows = [];
  for (const n of [1, 10, 100]) {
    const s = await createSession(stack);
    const ours = await Promise.all(Array.from({ length: n }, () => openSessionSocket(stack, s.id, 2)));
    const oursStats = await measureFanout(ours, (marker) => appendMarker(stack, s.id, marker));
    ours.forEach((ws) => ws.close());

    const agentPath = `/agents/bench-agent/peer-${n}-${Date.now()}`;
    const peers = await openAll(Array.from({ length: n }, () => `${stack.url.replace("http", "ws")}${agentPath}`));
    const peerStats = await measureFanout(peers, async (marker) => {
      const res = await fetch(`${stack.url}${agentPath}`, { method: "POST", body: JSON.stringify({ marker }) });
      if (res.status !== 201) throw new Error(`agent setState: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    peers.forEach((ws) => ws.close());
    rows.push({
      case: `subscribers=${n}`,
      asm_p50_ms: oursStats.p50.toFixed(2), asm_p99_ms: oursStats.p99.toFixed(2),
      agents_p50_ms: peerStats.p50.toFixed(2), agents_p99_ms: peerStats.p99.toFixed(2),
      ratio_p50: (oursStats.p50 / peerStats.p50).toFixed(2), ratio_p99: (oursStats.p99 / peerStats.p99).toFixed(2),
    });
  }
  return { name: "agents_peer_fanout", rows };
}

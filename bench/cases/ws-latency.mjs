// 2. Append-to-delivery latency to 1/10/100 WebSocket subscribers, against a DO that only broadcasts.
import { measureAsmFanout, measureFanout, openAll } from "../fanout.mjs";

export async function run(stack) {
  const rows = [];
  for (const n of [1, 10, 100]) {
    // Our subscribers ack at the typed client's pace, with its AckPacer.
    const oursStats = await measureAsmFanout(stack, n);
    const name = `ws-${n}-${Date.now()}`;
    const base = await openAll(Array.from({ length: n }, () => `${stack.url.replace("http", "ws")}/baseline/${name}/ws`));
    const baseStats = await measureFanout(base, async (marker) => {
      const res = await fetch(`${stack.url}/baseline/${name}/append?broadcast=1`, {
        method: "POST",
        body: JSON.stringify({ events: [{ type: "message_streamed", data: { content: marker, delta: marker } }] }),
      });
      await res.arrayBuffer();
    });
    base.forEach((ws) => ws.close());
    rows.push({
      case: `ws subscribers=${n}`,
      asm_p50_ms: oursStats.p50.toFixed(2),
      asm_p99_ms: oursStats.p99.toFixed(2),
      baseline_p50_ms: baseStats.p50.toFixed(2),
      baseline_p99_ms: baseStats.p99.toFixed(2),
      ratio_p50: (oursStats.p50 / baseStats.p50).toFixed(2),
    });
  }
  return { name: "ws_delivery_latency", rows };
}

// 12. The resolution of case 8: each side measured twice at each size, alternating as case 8 does (ASM, peer, ASM,
// peer). A side divided by itself is what chance alone does to a cell on this machine; a difference between the
// sides smaller than that cannot be told from it in one run.
import { measureAsmFanout } from "../fanout.mjs";
import { measurePeerFanout, warmBothPaths } from "../peer.mjs";

export async function run(stack) {
  await warmBothPaths(stack, "noise-warm");
  const rows = [];
  // NOISE_SIZES=1000 measures one size only (a quicker look at one cell).
  for (const n of (process.env.NOISE_SIZES ?? "1,10,100,1000").split(",").map(Number)) {
    const asm1 = await measureAsmFanout(stack, n);
    const peer1 = await measurePeerFanout(stack, n, `noise-${n}-a`);
    const asm2 = await measureAsmFanout(stack, n);
    const peer2 = await measurePeerFanout(stack, n, `noise-${n}-b`);
    rows.push({
      subscribers: n,
      asm_p99_ms: `${asm1.p99.toFixed(1)} / ${asm2.p99.toFixed(1)}`,
      agents_p99_ms: `${peer1.p99.toFixed(1)} / ${peer2.p99.toFixed(1)}`,
      // The same system against itself: 1.00 but for chance.
      asm_self_p50: ratio(asm1.p50, asm2.p50),
      asm_self_p99: ratio(asm1.p99, asm2.p99),
      agents_self_p50: ratio(peer1.p50, peer2.p50),
      agents_self_p99: ratio(peer1.p99, peer2.p99),
      // Case 8's cells, twice in one run.
      asm_vs_agents_p50: `${ratio(asm1.p50, peer1.p50)} / ${ratio(asm2.p50, peer2.p50)}`,
      asm_vs_agents_p99: `${ratio(asm1.p99, peer1.p99)} / ${ratio(asm2.p99, peer2.p99)}`,
    });
  }
  return { name: "noise_floor", rows };
}

const ratio = (a, b) => (a / b).toFixed(2);

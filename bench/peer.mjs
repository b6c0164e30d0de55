// The `agents` peer of the fan-out cases (8 and 11): an agent instance of bench/peer/worker.ts's BenchAgent (its own
// Worker, at stack.peerUrl) whose setState persists the state and broadcasts `cf_agent_state` to every connection.
import { appendMarker, measureAsmFanout, measureFanout, openAll, ROUNDS } from "./fanout.mjs";
import { createSession } from "./harness.mjs";

/**
 * A fresh agent instance and `n` connections; `measure(sockets, send)` runs the rounds, `send(marker)` setting the
 * state. With `event` (see sampleEvent), each round's state is that event with the round's marker in place of its
 * own, so both sides carry the same payload; without it, the state is `{ marker }`.
 */
export async function withPeerSubscribers(stack, n, label, measure, event) {
  if (!stack.peerUrl) throw new Error("the agents peer is not running: start the stack with startStack({ peer: true })");
  const agentPath = `/agents/bench-agent/peer-${label}-${Date.now()}`;
  const peers = await openAll(Array.from({ length: n }, () => `${stack.peerUrl.replace("http", "ws")}${agentPath}`));
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
  const send = async (marker) => {
    const body = event ? { event: { ...event, data: { delta: marker } } } : { marker };
    const res = await fetch(`${stack.peerUrl}${agentPath}`, { method: "POST", body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`agent setState: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  try {
    return await measure(peers, send);
  } finally {
    peers.forEach((ws) => ws.close());
  }
}

export function measurePeerFanout(stack, n, label, rounds = ROUNDS, event = undefined) {
  return withPeerSubscribers(stack, n, label, (sockets, send) => measureFanout(sockets, send, rounds), event);
}

/** One event exactly as ASM's subscribers receive it (the bench's marker append), to be the peer's state. */
export async function sampleEvent(stack) {
  const session = await createSession(stack);
  const { events } = await appendMarker(stack, session.id, `r0-${Math.random()}`);
  return events[0];
}

/**
 * Unmeasured rounds through both paths before a case's first measurement. The case measures ASM first at each size,
 * so on a fresh stack it alone would meet the cold runtime (code not yet optimised, first storage and first D1 writes).
 */
const WARM_ROUNDS = 300;

export async function warmBothPaths(stack, label) {
  await measureAsmFanout(stack, 1, WARM_ROUNDS);
  await measurePeerFanout(stack, 1, label, WARM_ROUNDS);
}

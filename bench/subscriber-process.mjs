// A child process holding a session's WebSocket subscribers for the append cases, so that the readers' work (one
// message per event per socket, parsed and acked at the typed client's pace) runs on its own event loop, as readers
// on other machines would, instead of delaying the appender's own answer on the bench's event loop.
// Started by `subscribersInChild` (bench/subscribers.mjs); speaks over Node's IPC channel:
//   parent → { reach: seq }  child → { reached: seq } once every socket has seen `seq`
//   child → { ready: n } once all sockets are open; parent → { close: true } to close them and exit.
import { openSessionSockets } from "./fanout.mjs";

const [url, apiKey, sessionId, count] = process.argv.slice(2);
const n = Number(count);
const stack = { url, apiKey };
const seen = new Array(n).fill(0);
const sockets = await openSessionSockets(stack, sessionId, n, 1, (i, e) => {
  seen[i] = e.sequence;
});

let target = 0;
/** Answers the pending `reach` once every socket has seen it (looked at every 2 ms, and when it is asked). */
function check() {
  if (target > 0 && seen.every((v) => v >= target)) {
    process.send({ reached: target });
    target = 0;
  }
}
setInterval(check, 2);
process.on("message", (msg) => {
  if (msg.reach !== undefined) {
    target = msg.reach;
    check();
  }
  if (msg.close) {
    for (const ws of sockets) ws.close();
    process.exit(0);
  }
});
process.send({ ready: n });

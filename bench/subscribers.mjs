// The parent side of bench/subscriber-process.mjs: `n` subscribers of a session in a child process.
import { fork } from "node:child_process";
import { join } from "node:path";
import { root } from "./harness.mjs";

export async function subscribersInChild(stack, sessionId, n) {
  const child = fork(join(root, "bench", "subscriber-process.mjs"), [stack.url, stack.apiKey, sessionId, String(n)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (key) =>
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg[key] === undefined) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(msg[key]);
      };
      const onExit = (code) => reject(new Error(`subscriber process exited (${code}) before ${key}`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  await next("ready");
  return {
    /** Resolves once every socket has seen `seq` (rejects after `ms`). */
    async reached(seq, ms = 120_000) {
      const timer = setTimeout(() => child.kill(), ms);
      child.send({ reach: seq });
      try {
        await next("reached");
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      child.send({ close: true });
    },
  };
}

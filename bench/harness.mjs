// Starts the local stack for benchmarks: the sandbox server and `wrangler dev` with the bench Worker.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { AckPacer } from "../client/ack-pacer.ts";
import { ackFrame } from "../src/core/socket-protocol.ts";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n) => join(root, "node_modules", ".bin", n);

export function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(url, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

/** The sandbox and the bench Worker; with `peer`, also the `agents` peer Worker of cases 8 and 11 (at `peerUrl`). */
export async function startStack({ apiKey = "bench_key", quiet = true, vars = {}, peer: withPeer = false } = {}) {
  const state = mkdtempSync(join(tmpdir(), "asm-bench-"));
  const sandboxPort = await freePort();
  const token = "bench-sandbox-token";
  const io = quiet ? "ignore" : "inherit";
  const sandbox = spawn(bin("tsx"), ["sandbox/main.ts"], {
    cwd: root,
    stdio: io,
    env: { ...process.env, SANDBOX_PORT: String(sandboxPort), SANDBOX_TOKEN: token, SANDBOX_ROOT: join(state, "sandbox") },
  });
  const config = join(root, "bench", "wrangler.toml");
  const persist = join(state, "wrangler");
  spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--config", config, "--persist-to", persist], {
    cwd: root,
    stdio: io,
    env: { ...process.env, CI: "1" },
  });
  const worker = await startWranglerDev(config, persist, io, [
    "--var",
    `API_KEYS:${apiKey}=bench`,
    "--var",
    `SANDBOX_URL:http://127.0.0.1:${sandboxPort}`,
    "--var",
    `SANDBOX_TOKEN:${token}`,
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ]);
  // The `agents` peer (cases 8 and 11) is its own Worker in its own workerd process, as it would be deployed: in
  // one isolate, each side's sends started V8 collections that paused the other's delivery (bench/README.md).
  const peer = withPeer ? await startWranglerDev(join(root, "bench", "peer", "wrangler.toml"), join(state, "peer"), io) : null;
  const url = worker.url;
  await waitFor(`${url}/healthz`);
  if (peer) await waitFor(`${peer.url}/healthz`);
  await waitFor(`http://127.0.0.1:${sandboxPort}/health`);
  return {
    url,
    peerUrl: peer?.url,
    apiKey,
    async stop() {
      worker.child.kill("SIGTERM");
      peer?.child.kill("SIGTERM");
      sandbox.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** `wrangler dev` of one config on free ports (its own workerd process); resolves once spawned, not once serving. */
async function startWranglerDev(config, persist, io, extraArgs = []) {
  const port = await freePort();
  const args = ["dev", "--config", config, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist];
  args.push("--inspector-port", String(await freePort()), ...extraArgs);
  const child = spawn(bin("wrangler"), args, { cwd: root, stdio: io, env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" } });
  return { child, url: `http://127.0.0.1:${port}` };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

export async function api(stack, path, init = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

export async function createSession(stack, extra = {}) {
  return api(stack, "/v1/sessions", { method: "POST", body: JSON.stringify({ agent_id: "bench", ...extra }) });
}

export function table(rows) {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals) => vals.map((v, i) => String(v).padEnd(width[i])).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c])))].join("\n");
}

/**
 * How every bench socket (ASM's and the peer's) connects: without offering permessage-deflate. Deployed, neither
 * Worker compresses (its compatibility flags leave `web_socket_compression` off); locally, `wrangler dev`'s own
 * front worker negotiates it whatever the Worker says, and then deflates every frame once per socket on the same
 * two cores, and each client inflates it, so the figures would measure the dev proxy's zlib rather than either
 * fan-out. Both sides connect the same way.
 */
export const BENCH_SOCKET_OPTIONS = { perMessageDeflate: false };

/** Opens an ASM session WebSocket that acks at the typed client's pace, with its pacer (client/ack-pacer.ts). */
export async function openSessionSocket(stack, sessionId, from = 1, onEvent = () => undefined) {
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`${stack.url.replace("http", "ws")}/v1/sessions/${sessionId}/ws?from_sequence=${from}`, {
    ...BENCH_SOCKET_OPTIONS,
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  let last = 0;
  const acks = new AckPacer(() => ws.readyState === WebSocket.OPEN && ws.send(ackFrame(last)));
  ws.on("close", () => acks.stop());
  ws.on("message", (buf) => {
    const text = buf.toString();
    if (text === "pong") return;
    const event = JSON.parse(text);
    onEvent(event);
    last = event.sequence;
    acks.taken();
  });
  // A handshake can hang under heavy load on the local proxy: fail it after 30 s (callers retry once).
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("handshake timed out"));
    }, 30_000);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return ws;
}

import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * An HTTP proxy in front of the sandbox server that injects link failures for one workspace at a time; other
 * workspaces (other tests) are untouched.
 *
 * - `POST /_fault/<workspace>/kill`: the sandbox "dies": every open request of that workspace is cut and new ones are
 *   refused, as if the container had crashed, until `/restore`.
 * - `POST /_fault/<workspace>/flaky?every=N`: every Nth request of that workspace fails, in turn in each of the three
 *   ways a link drops: refused before it reaches the sandbox; delivered, but the answer is lost before its headers;
 *   answered, but the stream is cut after its first chunk. `/restore` ends it. `GET /_fault/<workspace>/stats` says
 *   how many of each were injected.
 */
const MODES = ["refuse", "lose_answer", "cut_stream"] as const;
type Mode = (typeof MODES)[number];

export async function startFaultProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const dead = new Set<string>();
  const flaky = new Map<string, { every: number; seen: number; injected: Record<Mode, number> }>();
  const open = new Map<string, Set<Socket>>();
  const tracked = new WeakSet<Socket>();
  const upstream = new URL(target);

  /** The fault for this request of `workspace`, if it is one of the unlucky ones. */
  function faultFor(workspace: string): Mode | null {
    const f = flaky.get(workspace);
    if (!f) return null;
    f.seen += 1;
    if (f.seen % f.every !== 0) return null;
    const mode = MODES[(f.seen / f.every) % MODES.length]!;
    f.injected[mode] += 1;
    return mode;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const control = req.url?.match(/^\/_fault\/([^/]+)\/(kill|restore|flaky|stats)(?:\?(.*))?$/);
    if (control) {
      const [, workspace, action, query] = control as unknown as [string, string, string, string | undefined];
      if (action === "kill") {
        dead.add(workspace);
        for (const socket of open.get(workspace) ?? []) socket.destroy();
      } else if (action === "flaky") {
        const every = Math.max(1, Number(new URLSearchParams(query ?? "").get("every") ?? 3));
        flaky.set(workspace, { every, seen: 0, injected: { refuse: 0, lose_answer: 0, cut_stream: 0 } });
      } else if (action === "stats") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(flaky.get(workspace)?.injected ?? null));
        return;
      } else {
        dead.delete(workspace);
        flaky.delete(workspace);
      }
      res.writeHead(204).end();
      return;
    }
    const workspace = String(req.headers["x-sandbox-workspace"] ?? "");
    const fault = faultFor(workspace);
    if (dead.has(workspace) || fault === "refuse") {
      req.socket.destroy();
      return;
    }
    const sockets = open.get(workspace) ?? new Set<Socket>();
    open.set(workspace, sockets);
    sockets.add(req.socket);
    // One close listener per socket, however many requests a kept-alive socket carries.
    if (!tracked.has(req.socket)) {
      tracked.add(req.socket);
      req.socket.once("close", () => {
        for (const set of open.values()) set.delete(req.socket);
      });
    }
    const proxied = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        if (fault === "lose_answer") {
          up.destroy();
          req.socket.destroy();
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault === "cut_stream") {
          up.once("data", (chunk: Buffer) => {
            res.write(chunk, () => {
              up.destroy();
              req.socket.destroy();
            });
          });
          return;
        }
        up.pipe(res);
      },
    );
    proxied.on("error", () => res.destroy());
    req.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * An HTTP proxy in front of the sandbox server that can make it "die" for one workspace at a time: every open
 * request of that workspace is cut and new ones are refused, as if the container had crashed, until restored.
 * `POST /_fault/<workspace>/kill` and `/restore` control it. Other workspaces (other tests) are untouched.
 */
export async function startFaultProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const dead = new Set<string>();
  const open = new Map<string, Set<Socket>>();
  const upstream = new URL(target);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const fault = req.url?.match(/^\/_fault\/([^/]+)\/(kill|restore)$/);
    if (fault) {
      const [, workspace, action] = fault as unknown as [string, string, string];
      if (action === "kill") {
        dead.add(workspace);
        for (const socket of open.get(workspace) ?? []) socket.destroy();
      } else {
        dead.delete(workspace);
      }
      res.writeHead(204).end();
      return;
    }
    const workspace = String(req.headers["x-sandbox-workspace"] ?? "");
    if (dead.has(workspace)) {
      req.socket.destroy();
      return;
    }
    const sockets = open.get(workspace) ?? new Set<Socket>();
    open.set(workspace, sockets);
    sockets.add(req.socket);
    req.socket.once("close", () => sockets.delete(req.socket));
    const proxied = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
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
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

import { chmod } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { connect, type Socket } from "node:net";

/**
 * The allow-listing proxy for one jailed process: an HTTP proxy (CONNECT for TLS, absolute-URI requests for plain
 * HTTP) on a Unix socket that only that jail can reach. A host outside the allow list gets 403; nothing else leaves
 * the jail, because its network namespace has no other route.
 */

export const PROXY_PORT_IN_JAIL = 3128;

/** `*.example.com` matches every subdomain (not the apex); anything else matches exactly, case-insensitively. */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  return allow.some((pattern) => {
    const p = pattern.toLowerCase().replace(/^\[|\]$/g, "");
    return p.startsWith("*.") ? name.endsWith(p.slice(1)) && name.length > p.length - 1 : name === p;
  });
}

function splitHostPort(authority: string, defaultPort: number): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!match) return null;
  const port = match[2] ? Number(match[2]) : defaultPort;
  return port > 0 && port < 65536 ? { host: match[1]!.replace(/^\[|\]$/g, ""), port } : null;
}

function refuse(socket: Socket, host: string): void {
  socket.end(
    `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nasm sandbox: ${host} is not in this run's network allow list\n`,
  );
}

export type EgressProxy = { close(): Promise<void>; refused: string[] };

export async function startEgressProxy(socketPath: string, allow: readonly string[]): Promise<EgressProxy> {
  const refused: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("asm sandbox: proxy requests need an absolute URL\n");
      return;
    }
    if (target.protocol !== "http:" || !hostAllowed(target.hostname, allow)) {
      refused.push(target.hostname);
      res.writeHead(403, { "content-type": "text/plain" }).end(`asm sandbox: ${target.hostname} is not in this run's network allow list\n`);
      return;
    }
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`asm sandbox: upstream error: ${err.message}\n`);
    });
    req.pipe(upstream);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = splitHostPort(req.url ?? "", 443);
    client.on("error", () => client.destroy());
    if (!target || !hostAllowed(target.host, allow)) {
      refused.push(target?.host ?? String(req.url));
      refuse(client, target?.host ?? String(req.url));
      return;
    }
    const upstream = connect(target.port, target.host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on("error", () => {
      if (client.writable) client.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n");
      client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  // The jail's user must be able to connect; nobody else can reach the folder it lives in.
  await chmod(socketPath, 0o666);
  return {
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

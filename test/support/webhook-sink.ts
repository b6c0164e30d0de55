import { createServer, type IncomingMessage, type Server } from "node:http";

/**
 * A webhook receiver for tests, outside workerd: records every delivery (headers + raw body) per channel
 * (the first path segment). `POST /_control/<channel>` with `{fail: n}` makes the next n deliveries answer 500;
 * `GET /_received/<channel>` returns what arrived and how many injected failures are still pending.
 */
export async function startWebhookSink(): Promise<{ url: string; close(): Promise<void> }> {
  const received = new Map<string, { headers: Record<string, string>; body: string }[]>();
  const failures = new Map<string, number>();
  const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => resolve(body));
  });
  const server: Server = createServer(async (req, res) => {
    const [, first, second] = (req.url ?? "/").split("/");
    const body = await read(req);
    if (first === "_control" && second) {
      failures.set(second, Number((JSON.parse(body || "{}") as { fail?: number }).fail ?? 0));
      res.writeHead(204).end();
      return;
    }
    if (first === "_received" && second) {
      res.writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ deliveries: received.get(second) ?? [], failures_left: failures.get(second) ?? 0 }));
      return;
    }
    const channel = first ?? "";
    const left = failures.get(channel) ?? 0;
    if (left > 0) {
      failures.set(channel, left - 1);
      res.writeHead(500).end("injected failure");
      return;
    }
    const list = received.get(channel) ?? [];
    list.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body });
    received.set(channel, list);
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

import { createServer, type IncomingMessage, type Server } from "node:http";
import { Webhook } from "standardwebhooks";

type Delivery = { headers: Record<string, string>; body: string; verified: boolean | null };
type Channel = { deliveries: Delivery[]; attempts: number; fail: number; redirect: number; webhook: Webhook | null };

/**
 * A webhook receiver for tests, outside workerd: records every delivery (headers + raw body) per channel
 * (the first path segment). `POST /_control/<channel>` with any of
 * - `{fail: n}`: the next n deliveries answer 500;
 * - `{redirect: n}`: the next n answer 302 to `/<channel>-redirected` (a follower would land there);
 * - `{secret}`: deliveries are verified with the `standardwebhooks` library, as a real receiver would; a bad
 *   signature answers 401 and is recorded with `verified: false`.
 * `GET /_received/<channel>` returns what arrived, how many requests came in (`attempts`) and what is still pending.
 */
export async function startWebhookSink(): Promise<{ url: string; close(): Promise<void> }> {
  const channels = new Map<string, Channel>();
  const channel = (name: string): Channel => {
    let c = channels.get(name);
    if (!c) channels.set(name, (c = { deliveries: [], attempts: 0, fail: 0, redirect: 0, webhook: null }));
    return c;
  };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => resolve(body));
    });
  const server: Server = createServer(async (req, res) => {
    const [, first, second] = (req.url ?? "/").split("/");
    const body = await read(req);
    if (first === "_control" && second) {
      const control = JSON.parse(body || "{}") as { fail?: number; redirect?: number; secret?: string };
      const c = channel(second);
      if (control.fail !== undefined) c.fail = control.fail;
      if (control.redirect !== undefined) c.redirect = control.redirect;
      if (control.secret !== undefined) c.webhook = new Webhook(control.secret);
      res.writeHead(204).end();
      return;
    }
    if (first === "_received" && second) {
      const c = channel(second);
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ deliveries: c.deliveries, attempts: c.attempts, failures_left: c.fail, redirects_left: c.redirect }));
      return;
    }
    const name = first ?? "";
    const c = channel(name);
    c.attempts++;
    if (c.fail > 0) {
      c.fail--;
      res.writeHead(500).end("injected failure");
      return;
    }
    if (c.redirect > 0) {
      c.redirect--;
      res.writeHead(302, { location: `/${name}-redirected` }).end();
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let verified: boolean | null = null;
    if (c.webhook) {
      try {
        c.webhook.verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
    }
    c.deliveries.push({ headers, body, verified });
    if (verified === false) res.writeHead(401).end("bad signature");
    else res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

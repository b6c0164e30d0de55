import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The host's side of the isolation tests: the Worker under test runs inside workerd and cannot look at the machine,
 * so this small server on loopback answers what the tests must verify there (which processes run, which files
 * exist) and plants files a hostile run must not reach. It also answers plain GETs, standing in for "the outside
 * world" that network policies keep runs away from.
 *
 * - `GET /pids?args=<exact command line>` → `{pids: number[]}`
 * - `GET /exists?path=<absolute path>` → `{exists: boolean}`
 * - `POST /plant?path=<absolute path>` (body: the content) → `{planted: true}`
 * - anything else → `outside-world-answer`
 */
export async function startHostProbe(): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://probe");
    const send = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/pids") {
      const wanted = url.searchParams.get("args") ?? "";
      const lines = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).split("\n");
      const pids = lines
        .map((l) => /^\s*(\d+)\s(.*)$/.exec(l))
        .filter((m) => m?.[2] === wanted)
        .map((m) => Number(m![1]));
      return send({ pids });
    }
    if (url.pathname === "/exists") return send({ exists: existsSync(url.searchParams.get("path") ?? "") });
    if (url.pathname === "/plant" && req.method === "POST") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        writeFileSync(url.searchParams.get("path") ?? "", body);
        send({ planted: true });
      });
      return;
    }
    res.end("outside-world-answer");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

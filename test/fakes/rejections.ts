import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Every request a strict fake refused, so tests can assert that what we sent would have been accepted. Read it at
 * `GET /_fake/rejections?contains=<text>`: the rejections whose request body holds that text (a test's own marker,
 * since one fake serves every test file at once).
 */
export type Rejection = { at: string; message: string; body: string };

export class RejectionLog {
  readonly entries: Rejection[] = [];

  add(body: string, message: string): void {
    this.entries.push({ at: new Date().toISOString(), message, body });
  }

  /** Answers the control endpoint; false when the request is not for it. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method !== "GET" || url.pathname !== "/_fake/rejections") return false;
    const contains = url.searchParams.get("contains") ?? "";
    const found = this.entries.filter((r) => r.body.includes(contains)).map(({ at, message }) => ({ at, message }));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ rejections: found }));
    return true;
  }
}

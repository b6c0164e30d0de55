/**
 * The benchmark Worker: the real app plus baseline Durable Objects that do only the floor of the work
 * (write the same rows to SQLite; broadcast to sockets), so every figure is a ratio measured in one run.
 */
import { DurableObject } from "cloudflare:workers";
import app from "../src/index";
import type { TestSessionDO } from "../test/workers/support/test-session-do";

export { SandboxContainer, RoutingStateDO, TenantDO, AgentPipelineWorkflow } from "../src/index";
// The session class with the flush-now and counter hooks the storage-cost case reads; production has neither.
export { TestSessionDO as SessionDO } from "../test/workers/support/test-session-do";

type BenchEnv = {
  BASELINE: DurableObjectNamespace<BaselineDO>;
  SESSIONS: DurableObjectNamespace<TestSessionDO>;
};

export class BaselineDO extends DurableObject<Record<string, never>> {
  private seq = 0;

  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS events (sequence INTEGER PRIMARY KEY, id TEXT, type TEXT, data TEXT)`);
    this.seq = Number(ctx.storage.sql.exec(`SELECT COALESCE(MAX(sequence),0) AS m FROM events`).one().m);
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.headers.get("upgrade") === "websocket") {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1]);
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    if (url.pathname.endsWith("/append")) {
      const { events } = (await request.json()) as { events: { type: string; data: unknown }[] };
      const out: { sequence: number }[] = [];
      this.ctx.storage.transactionSync(() => {
        for (const e of events) {
          this.seq += 1;
          this.ctx.storage.sql.exec(
            `INSERT INTO events VALUES (?, ?, ?, ?)`,
            this.seq,
            crypto.randomUUID(),
            e.type,
            JSON.stringify(e.data),
          );
          out.push({ sequence: this.seq });
        }
      });
      if (url.searchParams.get("broadcast") === "1") {
        for (const ws of this.ctx.getWebSockets()) for (const e of events) ws.send(JSON.stringify(e));
      }
      return Response.json({ events: out }, { status: 201 });
    }
    return new Response("not found", { status: 404 });
  }
}

export default {
  async fetch(request: Request<unknown, IncomingRequestCfProperties>, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const m = url.pathname.match(/^\/baseline\/([^/]+)\//);
    if (m) return env.BASELINE.get(env.BASELINE.idFromName(m[1]!)).fetch(request);
    // Storage-cost case: flush a session's DO to D1, then read its rows-written counters (not part of the API).
    const stats = url.pathname.match(/^\/bench-stats\/([^/]+)\/([^/]+)$/);
    if (stats) {
      const stub = env.SESSIONS.get(env.SESSIONS.idFromName(`${stats[1]}:${stats[2]}`));
      await stub.flushNow();
      return Response.json(await stub.stats());
    }
    return app.fetch(request, env as never, ctx);
  },
};

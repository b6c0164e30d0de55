/**
 * The peer of the fan-out cases (8 and 11), deployed as its own Worker: the Cloudflare `agents` package's state
 * broadcast. It runs in its own `wrangler dev` (its own workerd process and V8 isolate), as a separate script would
 * in production, so neither side's garbage collections land in the other's rounds.
 */
import { Agent, routeAgentRequest } from "agents";

/**
 * `POST /agents/bench-agent/<name>` sets the state to the request's marker, which the framework persists to SQLite
 * and broadcasts to every connected client as a `cf_agent_state` message: the same "write, then deliver to N
 * sockets" our append does. Given `event` instead (a copy of one of ASM's events, carrying the marker), the state is
 * that event, so both sides carry the same payload.
 */
export class BenchAgent extends Agent<Cloudflare.Env, Record<string, unknown>> {
  override initialState = { marker: "" };

  override async onRequest(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("not found", { status: 404 });
    const { marker, event } = (await request.json()) as { marker?: string; event?: Record<string, unknown> };
    this.setState(event ?? { marker });
    return Response.json({ ok: true }, { status: 201 });
  }
}

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    if (new URL(request.url).pathname === "/healthz") return Response.json({ ok: true });
    return (await routeAgentRequest(request, env)) ?? new Response("not found", { status: 404 });
  },
};

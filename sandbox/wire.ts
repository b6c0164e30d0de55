import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import type { z } from "zod";
import { constantTimeEqual } from "../src/core/constant-time";
import { AppError } from "../src/core/errors";
import { SANDBOX_WORKSPACE_HEADER } from "../src/core/sandbox-protocol";
import { SANDBOX_ROUTES, type Parsed, type SandboxRoute, type SandboxRouteName, type SandboxRoutes } from "../src/core/sandbox-routes";
import { errorResponse, jsonResponse, MAX_BODY_BYTES, parseJsonText, parseWith } from "./http";

/**
 * The sandbox wire on Hono, mounted from the route table in src/core/sandbox-routes.ts: every route of the table
 * gets its handler (the `SandboxHandlers` type demands one for each), its params, query and body parsed with the
 * table's schemas, and errors as `{error:{code,message,details,retryable}}` with the taxonomy's status.
 */

export type SandboxEnv = { Bindings: HttpBindings };
export type SandboxContext = Context<SandboxEnv>;

/** What a handler receives: the parsed request, the workspace header, and the Hono context (for the raw response). */
export type RouteInput<R extends SandboxRoute> = {
  params: Parsed<R["params"]>;
  query: Parsed<R["query"]>;
  body: Parsed<R["body"]>;
  workspaceId: string | undefined;
  c: SandboxContext;
};

/** A JSON route returns its response shape; a streaming route answers itself and returns that answer. */
export type RouteHandler<R extends SandboxRoute> = R["stream"] extends z.ZodType
  ? (input: RouteInput<R>) => Promise<Response>
  : (input: RouteInput<R>) => Promise<z.input<R["response"]>>;

export type SandboxHandlers = { [K in SandboxRouteName]: RouteHandler<SandboxRoutes[K]> };

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  if (!match) return false;
  // The same comparison as the API's keys: no early exit on a length difference either.
  return constantTimeEqual(match[1]!, token);
}

/** Routes the table marks `auth: false` (health) are the only ones served without the bearer token. */
function isPublic(method: string, path: string): boolean {
  return Object.values(SANDBOX_ROUTES).some((r) => !r.auth && r.method === method && r.path === path);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `request body exceeds ${maxBytes} bytes`);
}

/**
 * The body as text, refused past `maxBytes`: on the declared length first, then on what arrives (a forwarded
 * body is chunked). Not Hono's bodyLimit: it rebuilds the request with the global Request, which cannot take the
 * adapter's own request unless the adapter replaces the process's globals, and this process keeps them.
 */
async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  if (Number(req.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function mount<R extends SandboxRoute>(app: Hono<SandboxEnv>, route: R, handler: RouteHandler<R>, maxBodyBytes: number): void {
  const run: (input: RouteInput<R>) => Promise<unknown> = handler;
  app.on(route.method, route.path, async (c) => {
    // Parsed with R's own schemas, which TypeScript cannot follow through the generic slots.
    const input = {
      params: route.params ? parseWith(route.params, c.req.param(), "path") : undefined,
      query: route.query ? parseWith(route.query, c.req.query(), "query") : undefined,
      body: route.body ? parseWith(route.body, parseJsonText(await readBodyText(c.req.raw, maxBodyBytes)), "body") : undefined,
      workspaceId: c.req.header(SANDBOX_WORKSPACE_HEADER),
      c,
    } as RouteInput<R>;
    const result = await run(input);
    // A streaming route has answered on the node response itself (attach.ts) and returns the adapter's marker.
    return route.stream && result instanceof Response ? result : jsonResponse(200, result);
  });
}

/** The Hono app serving the whole table with `handlers`, behind the bearer token. */
export function sandboxApp(token: string, handlers: SandboxHandlers, maxBodyBytes = MAX_BODY_BYTES): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  app.onError((err) => errorResponse(err));
  app.notFound((c) => errorResponse(new AppError("not_found", `no route for ${c.req.method} ${c.req.path}`)));
  app.use("*", async (c, next) => {
    if (!isPublic(c.req.method, c.req.path) && !tokenMatches(c.req.header("authorization"), token)) {
      throw new AppError("unauthorized", "missing or invalid bearer token");
    }
    await next();
  });
  const each = <K extends SandboxRouteName>(name: K) => mount(app, SANDBOX_ROUTES[name], handlers[name], maxBodyBytes);
  for (const name of Object.keys(SANDBOX_ROUTES) as SandboxRouteName[]) each(name);
  return app;
}

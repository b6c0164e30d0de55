import { env } from "cloudflare:test";
import { type Handler, Hono, type MiddlewareHandler } from "hono";
import { onError } from "../../../src/api/middleware/errors";
import { requestContext } from "../../../src/api/middleware/request-id";
import type { AppEnv } from "../../../src/api/types";

/**
 * One middleware at a time, in workerd with the test bindings: a bare Hono app with the request context (config,
 * request id), the middleware under test, the app's error handler, and `handler` as the only route.
 */
export function appWith(middleware: MiddlewareHandler<AppEnv>[], handler: Handler<AppEnv> = (c) => c.json({ ok: true })) {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext);
  for (const m of middleware) app.use("*", m);
  app.all("*", handler);
  app.onError(onError);
  return { request: (path: string, init?: RequestInit) => app.request(`https://asm.test${path}`, init, env) };
}

export type ErrorBodyShape = { error: { code: string; message: string; details: Record<string, unknown>; retryable: boolean } };

export async function errorOf(res: Response): Promise<ErrorBodyShape["error"]> {
  return ((await res.json()) as ErrorBodyShape).error;
}

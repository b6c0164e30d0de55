import type { MiddlewareHandler } from "hono";
import { randomHex } from "../../core/ids";
import { loadConfig } from "../../core/config";
import type { AppEnv } from "../types";

/** Tags each request with an id (echoed in `x-request-id`) and loads the config once per request. */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = c.req.header("x-request-id")?.slice(0, 64) || `req_${randomHex(8)}`;
  c.set("requestId", id);
  c.set("config", loadConfig(c.env));
  await next();
  c.header("x-request-id", id);
};

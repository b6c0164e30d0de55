import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors";
import { jsonDepthExceeds } from "../../core/json-depth";
import type { AppEnv } from "../types";

/**
 * Refuses a JSON body nested deeper than MAX_JSON_DEPTH with 400 `validation_error`, before any parser, validator
 * or RPC serializer recurses into it. The text read here is cached, so the route's validator parses it without a
 * second read of the stream.
 */
export const jsonDepthLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.req.raw.body || !/json/i.test(c.req.header("content-type") ?? "")) return next();
  const limit = c.get("config").maxJsonDepth;
  const { exceeded } = jsonDepthExceeds(await c.req.text(), limit);
  if (exceeded) {
    throw new AppError("validation_error", `The JSON body is nested more than ${limit} levels deep`, {
      max_depth: limit,
      setting: "MAX_JSON_DEPTH",
    });
  }
  return next();
};

import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors";
import type { AppEnv } from "../types";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Request bodies are JSON: a POST or PATCH that carries a body of another (or no) content type is 415
 * unsupported_media_type, rather than a validation error about fields that were never read.
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  if (method !== "POST" && method !== "PATCH" && method !== "PUT") return next();
  const length = c.req.header("content-length");
  const hasBody = c.req.raw.body !== null && length !== "0";
  if (!hasBody) return next();
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type)) {
    throw new AppError("unsupported_media_type", `Request bodies must be application/json${type ? `, not ${type.split(";")[0]}` : ""}`, {
      content_type: type || null, accepted: ["application/json"],
    });
  }
  return next();
};

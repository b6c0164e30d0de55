import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors";
import type { AppEnv } from "../types";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const NDJSON_TYPE = /^application\/x-ndjson\s*(?:;|$)/i;

/**
 * Request bodies are JSON: a POST or PATCH that carries a body of another (or no) content type is 415
 * unsupported_media_type, rather than a validation error about fields that were never read. The paths in
 * `ndjsonPaths` also take `application/x-ndjson` (an import takes the export's own body back).
 */
export function requireJsonBody(ndjsonPaths: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const ndjson = new Set(ndjsonPaths);
  return async (c, next) => {
    const method = c.req.method;
    if (method !== "POST" && method !== "PATCH" && method !== "PUT") return next();
    const length = c.req.header("content-length");
    const hasBody = c.req.raw.body !== null && length !== "0";
    if (!hasBody) return next();
    const type = c.req.header("content-type") ?? "";
    const takesNdjson = ndjson.has(c.req.path);
    if (JSON_TYPE.test(type) || (takesNdjson && NDJSON_TYPE.test(type))) return next();
    const accepted = takesNdjson ? ["application/json", "application/x-ndjson"] : ["application/json"];
    throw new AppError(
      "unsupported_media_type",
      `Request bodies must be ${accepted.join(" or ")}${type ? `, not ${type.split(";")[0]}` : ""}`,
      {
        content_type: type || null,
        accepted,
      },
    );
  };
}

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { AppError } from "../../core/errors";

/** Seconds a client should wait after a 429 or 503 unless the error names its own `retry_after_ms`. */
const DEFAULT_RETRY_AFTER_S = { 429: 1, 503: 5 } as const;

/** The headers HTTP asks for beside an error status: how to authenticate, when to retry, what to upgrade to. */
function conventionalHeaders(err: AppError): Record<string, string> {
  const status = err.status;
  if (status === 401) return { "www-authenticate": 'Bearer realm="asm"' };
  if (status === 426) return { upgrade: "websocket" };
  if (status === 429 || status === 503) {
    const ms = Number(err.details.retry_after_ms);
    const seconds = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms / 1000) : DEFAULT_RETRY_AFTER_S[status];
    return { "retry-after": String(seconds) };
  }
  return {};
}

/** Every error leaves as `{error:{code,message,details,retryable}}` with the taxonomy's status. */
export function errorResponse(c: Context, err: AppError): Response {
  for (const [name, value] of Object.entries(conventionalHeaders(err))) c.header(name, value);
  return c.json(err.toBody(), err.status as ContentfulStatusCode);
}

export function zodToAppError(error: ZodError, target: string): AppError {
  const issues = error.issues.map((i) => ({ path: [target, ...i.path.map(String)].join("."), message: i.message, code: i.code }));
  const first = issues[0];
  return new AppError("validation_error", first ? `${first.path}: ${first.message}` : `Invalid ${target}`, { issues });
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof AppError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    if (err.status === 413) return errorResponse(c, new AppError("payload_too_large", "The request body is too large"));
    const message = err.message || "Bad request";
    const code = /json/i.test(message) ? "invalid_format" : "invalid_input";
    return errorResponse(c, new AppError(code, message));
  }
  console.error("unhandled error", err);
  return errorResponse(c, new AppError("internal_error", "Internal error", { request_id: c.get("requestId") }));
}

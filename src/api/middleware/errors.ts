import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { AppError, type ErrorCode, type ErrorHttpStatus } from "../../core/errors";

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
  return c.json(err.toBody(), err.status);
}

export function zodToAppError(error: ZodError, target: string): AppError {
  const issues = error.issues.map((i) => ({ path: [target, ...i.path.map(String)].join("."), message: i.message, code: i.code }));
  const first = issues[0];
  return new AppError("validation_error", first ? `${first.path}: ${first.message}` : `Invalid ${target}`, { issues });
}

/**
 * The taxonomy code for an `HTTPException` of each status Hono's own parts throw (bodyLimit 413, timeout 504,
 * bearer/basic auth 401, csrf and ip-restriction 403, validators 400, …). Each code maps back to the same status
 * through `httpStatusOf` (test/workers/middleware/errors.test.ts checks the round trip).
 */
export const CODE_BY_STATUS = {
  400: "invalid_input",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "invalid_operation",
  412: "precondition_failed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  426: "upgrade_required",
  429: "rate_limited",
  503: "dependency_not_available",
  504: "timeout",
} as const satisfies Partial<Record<ErrorHttpStatus, ErrorCode>>;

const DEFAULT_MESSAGES: Record<keyof typeof CODE_BY_STATUS, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  412: "Precondition failed",
  413: "The request body is too large",
  415: "Unsupported media type",
  426: "Upgrade required",
  429: "Too many requests",
  503: "Service unavailable",
  504: "Timed out",
};

function isMapped(status: number): status is keyof typeof CODE_BY_STATUS {
  return Object.hasOwn(CODE_BY_STATUS, status);
}

/** An `HTTPException` as a taxonomy error: by its status; any other 4xx is invalid input, any other 5xx internal. */
export function httpExceptionToAppError(err: HTTPException): AppError {
  const status = err.status;
  if (isMapped(status)) {
    const message = err.message || DEFAULT_MESSAGES[status];
    // A 400 about a body that is not JSON says so (Hono's validators and c.req.json()).
    const code = status === 400 && /json/i.test(message) ? "invalid_format" : CODE_BY_STATUS[status];
    return new AppError(code, message);
  }
  // The thrown status is kept in details, since the answer's status is the code's.
  if (status >= 500) return new AppError("internal_error", err.message || "Internal error", { http_status: status });
  return new AppError("invalid_input", err.message || "Bad request", { http_status: status });
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof AppError) return errorResponse(c, err);
  if (err instanceof HTTPException) return errorResponse(c, httpExceptionToAppError(err));
  console.error("unhandled error", err);
  return errorResponse(c, new AppError("internal_error", "Internal error", { request_id: c.get("requestId") }));
}

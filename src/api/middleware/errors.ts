import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { AppError } from "../../core/errors";

/** Every error leaves as `{error:{code,message,details,retryable}}` with the taxonomy's status. */
export function errorResponse(c: Context, err: AppError): Response {
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

import { z } from "zod";

/** The error taxonomy: the original's codes plus the HTTP-facing ones. */
export const ERROR_CATEGORIES = {
  validation: [
    "validation_error",
    "invalid_input",
    "missing_required_field",
    "invalid_format",
    "payload_too_large",
    "unsupported_media_type",
    "upgrade_required",
    "conflicting_parameters",
  ],
  state: [
    "invalid_status",
    "invalid_transition",
    "invalid_event_type",
    "invalid_capability_type",
    "missing_required_capability",
    "stream_closed",
    "context_mismatch",
    "invalid_cursor",
    "session_mismatch",
    "run_mismatch",
    "unsupported_schema_version",
    "event_impersonation",
    "idempotency_key_reused",
    "precondition_failed",
    "run_in_progress",
    "sequence_out_of_range",
  ],
  resource: [
    "not_found",
    "method_not_allowed",
    "session_not_found",
    "run_not_found",
    "capability_not_found",
    "already_exists",
    "duplicate_capability",
  ],
  provider: [
    "provider_error",
    "provider_unavailable",
    "provider_rate_limited",
    "provider_timeout",
    "provider_authentication_failed",
    "provider_quota_exceeded",
  ],
  storage: [
    "storage_error",
    "storage_connection_failed",
    "dependency_not_available",
    "migration_required",
    "storage_write_failed",
    "storage_read_failed",
  ],
  runtime: ["timeout", "cancelled", "policy_violation", "internal_error", "unknown_error", "resource_limit_exceeded", "drain_timeout"],
  concurrency: [
    "max_sessions_exceeded",
    "max_runs_exceeded",
    "capability_not_supported",
    "invalid_operation",
    "rate_limited",
    "quota_exceeded",
  ],
  // command_timeout: a shell command outlived its timeout; not retryable, since the
  // same command would time out again.
  tool: ["tool_error", "tool_not_found", "tool_execution_failed", "tool_permission_denied", "command_timeout"],
  auth: ["unauthorized", "forbidden"],
} as const;

type Categories = typeof ERROR_CATEGORIES;
export type ErrorCategory = keyof Categories;
export type ErrorCode = Categories[ErrorCategory][number];

export const ERROR_CODES = Object.values(ERROR_CATEGORIES).flat() as ErrorCode[];
export const ErrorCodeSchema = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]).meta({ id: "ErrorCode" });

const RETRYABLE: ReadonlySet<string> = new Set([
  "provider_timeout",
  "provider_rate_limited",
  "provider_unavailable",
  "storage_connection_failed",
  "timeout",
  "rate_limited",
  "quota_exceeded",
]);

export function isRetryable(code: string): boolean {
  return RETRYABLE.has(code);
}

export function categoryOf(code: string): ErrorCategory | "unknown" {
  for (const [category, codes] of Object.entries(ERROR_CATEGORIES)) {
    if ((codes as readonly string[]).includes(code)) return category as ErrorCategory;
  }
  return "unknown";
}

/** Every HTTP status an error can leave with. */
export type ErrorHttpStatus = 400 | 401 | 403 | 404 | 405 | 408 | 409 | 412 | 413 | 415 | 422 | 426 | 429 | 500 | 502 | 503 | 504;

/** The one mapping from taxonomy to HTTP status. */
export function httpStatusOf(code: ErrorCode): ErrorHttpStatus {
  switch (code) {
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "upgrade_required":
      return 426;
    case "method_not_allowed":
      return 405;
    case "precondition_failed":
      return 412;
    case "drain_timeout":
      return 408;
    case "run_in_progress":
      return 409;
    case "policy_violation":
    case "missing_required_capability":
      return 400;
    case "rate_limited":
    case "quota_exceeded":
    case "max_runs_exceeded":
    case "max_sessions_exceeded":
      return 429;
    case "already_exists":
    case "invalid_status":
    case "invalid_transition":
    case "invalid_operation":
    case "stream_closed":
    case "session_mismatch":
    case "run_mismatch":
    case "context_mismatch":
    case "event_impersonation":
      return 409;
    case "idempotency_key_reused":
      return 422;
    case "storage_connection_failed":
    case "dependency_not_available":
    case "provider_unavailable":
      return 503;
    case "timeout":
    case "provider_timeout":
      return 504;
  }
  switch (categoryOf(code)) {
    case "validation":
    case "state":
      return 400;
    case "resource":
      return 404;
    case "provider":
      return 502;
    case "storage":
      return 503;
    case "tool":
      return 400;
    case "concurrency":
      return 409;
    default:
      return 500;
  }
}

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
      retryable: z.boolean(),
    }),
  })
  .meta({ id: "Error", description: "Every error: a taxonomy code, a message, details and whether a retry may succeed" });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Plain-data form of an AppError, safe to pass across RPC and store in JSON. */
export const SerializedErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type SerializedError = z.infer<typeof SerializedErrorSchema>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }
  get status(): ErrorHttpStatus {
    return httpStatusOf(this.code);
  }
  get retryable(): boolean {
    return isRetryable(this.code);
  }
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: this.details };
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details, retryable: this.retryable } };
  }
  static from(serialized: SerializedError): AppError {
    const code = (ERROR_CODES as string[]).includes(serialized.code) ? (serialized.code as ErrorCode) : "unknown_error";
    return new AppError(code, serialized.message, serialized.details);
  }
}

/** Result of a call that crosses the DO boundary: errors travel as data, since RPC drops custom fields. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
export function fail<T = never>(error: AppError): Result<T> {
  return { ok: false, error: error.toJSON() };
}
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw AppError.from(result.error);
}

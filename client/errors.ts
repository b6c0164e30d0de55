import { ErrorBodySchema } from "../src/core/errors";

/**
 * An error from the ASM API (or from reaching it). `code` is the server's taxonomy code, or one of the client's own:
 * `network_error` (fetch failed), `invalid_response` (a body that does not match the contract), `aborted`.
 */
export class AsmError extends Error {
  readonly code: string;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    opts: { status?: number; details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AsmError";
    this.code = code;
    this.status = opts.status ?? 0;
    this.details = opts.details ?? {};
    this.retryable = opts.retryable ?? false;
  }
}

/** Builds the AsmError for a non-2xx response from its `{error: {...}}` body, or from the status alone. */
export function errorFromResponse(status: number, bodyText: string): AsmError {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    // Not JSON (a proxy page, an empty body): fall through to a status-only error.
  }
  const body = ErrorBodySchema.safeParse(parsed);
  if (body.success) {
    const { code, message, details, retryable } = body.data.error;
    return new AsmError(code, message, { status, details, retryable });
  }
  const retryable = status === 429 || status >= 500;
  const code = status === 401 ? "unauthorized" : status === 404 ? "not_found" : status === 429 ? "rate_limited" : "http_error";
  return new AsmError(code, `HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 200)}` : ""}`, { status, retryable });
}

/** Whether a failure is worth retrying: a retryable API error or a transport failure (both arrive as AsmError). */
export function isTransient(err: unknown): boolean {
  return err instanceof AsmError && err.retryable;
}

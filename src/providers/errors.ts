import { AppError, type ErrorCode } from "../core/errors";
import type { ProviderError } from "../core/run";
import { truncateErrorText } from "../core/error-text";
import type { ResourceLimit } from "../core/sandbox-protocol";

/** How a provider failed; each kind knows its error code and whether another attempt may succeed. */
export const PROVIDER_ERROR_KINDS = {
  rate_limited: { code: "provider_rate_limited", retryable: true },
  overloaded: { code: "provider_unavailable", retryable: true },
  server: { code: "provider_unavailable", retryable: true },
  network: { code: "provider_unavailable", retryable: true },
  timeout: { code: "provider_timeout", retryable: true },
  command_timeout: { code: "command_timeout", retryable: false },
  auth: { code: "provider_authentication_failed", retryable: false },
  quota: { code: "provider_quota_exceeded", retryable: false },
  invalid_request: { code: "provider_error", retryable: false },
  process_exit: { code: "provider_error", retryable: false },
  protocol: { code: "provider_error", retryable: false },
  unknown: { code: "provider_error", retryable: false },
} as const satisfies Record<string, { code: ErrorCode; retryable: boolean }>;

export type ProviderErrorKind = keyof typeof PROVIDER_ERROR_KINDS;

export function isRetryableKind(kind: ProviderErrorKind): boolean {
  return PROVIDER_ERROR_KINDS[kind].retryable;
}

/** A provider failure, carrying the normalized `provider_error` payload. */
export class ProviderFailure extends AppError {
  readonly providerError: ProviderError;
  readonly kind: ProviderErrorKind;

  constructor(
    provider: string,
    kind: ProviderErrorKind,
    message: string,
    extra: {
      exit_code?: number | null;
      stderr?: string | null;
      details?: Record<string, unknown>;
      limits?: { maxLines: number; maxBytes: number };
    } = {},
  ) {
    const limits = extra.limits ?? { maxLines: 200, maxBytes: 16_384 };
    const stderr = extra.stderr == null ? null : truncateErrorText(extra.stderr, limits.maxLines, limits.maxBytes);
    const providerError: ProviderError = {
      provider,
      kind,
      message,
      exit_code: extra.exit_code ?? null,
      stderr: stderr?.text ?? null,
      truncated: stderr?.truncated ?? false,
      ...(extra.details ? { details: extra.details } : {}),
    };
    super(PROVIDER_ERROR_KINDS[kind].code, message, { provider_error: providerError, ...(extra.details ?? {}) });
    this.providerError = providerError;
    this.kind = kind;
  }

  override get retryable(): boolean {
    return isRetryableKind(this.kind);
  }
}

const LIMIT_LABELS: Record<ResourceLimit, string> = {
  processes: "process",
  memory: "memory",
  cpu_time: "CPU time",
  workspace_size: "workspace size",
  file_size: "file size",
};

/** A sandbox resource bound ended the process: the run fails with `resource_limit_exceeded` naming the bound. */
export function resourceLimitError(limit: ResourceLimit, details: Record<string, unknown> = {}): AppError {
  return new AppError("resource_limit_exceeded", `The sandbox ended the process: it exceeded the ${LIMIT_LABELS[limit]} limit`, {
    limit,
    ...details,
  });
}

import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ErrorBodySchema } from "../core/errors";
import { zodToAppError, errorResponse } from "./middleware/errors";
import type { AppEnv } from "./types";

/** A router whose validation failures become our error shape instead of zod's default. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return errorResponse(c, zodToAppError(result.error as z.ZodError, result.target));
      return undefined;
    },
  });
}

export const errorContent = { "application/json": { schema: ErrorBodySchema } };

const header = (description: string, type: "string" | "integer" = "string") => ({ description, schema: { type } });

/** Response headers the spec promises (and the contract check in test/workers verifies). */
export const HEADERS = {
  location: { Location: header("Where the created resource (or the accepted run) can be read") },
  etag: { ETag: header("Entity tag of this representation; send it as If-None-Match (304) or If-Match (412 on mismatch)") },
  retryAfter: { "Retry-After": header("Seconds to wait before retrying", "integer") },
  wwwAuthenticate: { "WWW-Authenticate": header('The scheme to use: `Bearer realm="asm"`') },
} as const;

const ERROR_STATUSES = {
  400: { description: "Invalid input (validation_error, invalid_format, invalid_cursor, invalid_event_type, …)" },
  401: { description: "Missing or invalid API key (unauthorized)", headers: HEADERS.wwwAuthenticate },
  403: { description: "Not allowed (forbidden)" },
  404: { description: "Not found (another tenant's resources are not found either)" },
  408: { description: "Waited as long as asked and the condition did not hold (drain_timeout)" },
  409: { description: "Conflicts with the resource's state (invalid_transition, invalid_status, event_impersonation, …)" },
  412: { description: "If-Match did not match the current ETag (precondition_failed)" },
  413: { description: "The body exceeds MAX_BODY_BYTES, or an event MAX_EVENT_DATA_BYTES (payload_too_large)" },
  415: { description: "The body is not application/json (unsupported_media_type)" },
  422: { description: "The Idempotency-Key was used for a different body (idempotency_key_reused)" },
  426: { description: "This endpoint needs a WebSocket upgrade (upgrade_required)", headers: { Upgrade: header("websocket") } },
  429: { description: "Too many requests or queued runs (rate_limited, max_runs_exceeded)", headers: HEADERS.retryAfter },
  500: { description: "Internal error" },
  503: { description: "A dependency (storage, sandbox, provider) is unavailable", headers: HEADERS.retryAfter },
  504: { description: "Timed out waiting for a dependency" },
} as const;
export type ErrorStatus = keyof typeof ERROR_STATUSES;

/** Every /v1 operation can answer these: bad input, no key, quota, internal error, a storage outage. */
const COMMON: readonly ErrorStatus[] = [400, 401, 429, 500, 503];
/** …and these when it takes a JSON body. */
export const BODY_ERRORS: readonly ErrorStatus[] = [413, 415];

/** The error responses of an operation: the common ones plus `extra`, each with the Error body and its headers. */
export function errorResponses(...extra: ErrorStatus[]) {
  const statuses = [...new Set([...COMMON, ...extra])].sort((a, b) => a - b);
  return Object.fromEntries(statuses.map((s) => [s, { ...ERROR_STATUSES[s], content: errorContent }])) as Record<
    number,
    { description: string; headers?: Record<string, ReturnType<typeof header>>; content: typeof errorContent }
  >;
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string, headers?: Record<string, ReturnType<typeof header>>) {
  return { description, content: { "application/json": { schema } }, ...(headers ? { headers } : {}) };
}

/** `{items, next_cursor}`: every list, named so generated clients get one page type per item. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last"),
    })
    .meta({ id });
}

export const SessionIdParams = z.object({ id: z.string().min(1).max(128).describe("Session id (ses_ + 32 hex)") });
export const RunIdParams = SessionIdParams.extend({ rid: z.string().min(1).max(128).describe("Run id (run_ + 32 hex)") });

import type { z } from "zod";
import { AsmError, errorFromResponse } from "./errors";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A query value as the client accepts it; arrays become comma-separated lists (the API's `type=a,b` form). */
export type QueryValue = string | number | boolean | readonly string[] | null | undefined;
export type QueryParams = Record<string, QueryValue>;

export type RequestOptions = {
  query?: QueryParams | undefined;
  body?: unknown;
  /** A body sent as it is, with its own content type (an NDJSON import), instead of JSON. */
  rawBody?: { text: string; contentType: string } | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
};

/** Appends defined query values to a URL. */
export function withQuery(url: URL, query: QueryParams | undefined): URL {
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(",") : String(value);
    if (Array.isArray(value) && value.length === 0) continue;
    url.searchParams.set(key, text);
  }
  return url;
}

/** The transport under AsmClient: bearer auth, JSON both ways, errors as AsmError, responses checked by zod. */
export class HttpTransport {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly fetchImpl: FetchLike,
  ) {
    // Accept "https://host", "https://host/" or "https://host/v1"; every path below is relative to /v1.
    const trimmed = baseUrl.replace(/\/+$/, "");
    this.baseUrl = trimmed.endsWith("/v1") ? trimmed : `${trimmed}/v1`;
  }

  url(path: string, query?: QueryParams): URL {
    return withQuery(new URL(this.baseUrl + path), query);
  }

  authHeaders(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  async request<S extends z.ZodType>(method: string, path: string, schema: S, opts: RequestOptions = {}): Promise<z.infer<S>> {
    const text = await this.raw(method, path, opts);
    let json: unknown;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch (cause) {
      throw new AsmError("invalid_response", `${method} ${path}: the response is not JSON`, { cause });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AsmError("invalid_response", `${method} ${path}: unexpected response shape`, {
        details: { issues: parsed.error.issues.slice(0, 5) },
      });
    }
    return parsed.data;
  }

  /** Sends a request and returns the body text of a 2xx answer; anything else throws AsmError. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
    const res = await this.send(method, path, opts);
    let text: string;
    try {
      text = await res.text();
    } catch (cause) {
      if (opts.signal?.aborted) throw new AsmError("aborted", `${method} ${path} aborted`, { cause });
      throw new AsmError("network_error", `${method} ${path}: the response body was cut off`, {
        status: res.status,
        retryable: true,
        cause,
      });
    }
    if (!res.ok) throw errorFromResponse(res.status, text);
    return text;
  }

  /** Sends a request and yields the body of a 2xx answer as text chunks as they arrive (an NDJSON export). */
  async *stream(method: string, path: string, opts: RequestOptions = {}): AsyncGenerator<string> {
    const res = await this.send(method, path, opts);
    if (!res.ok) throw errorFromResponse(res.status, await res.text().catch(() => ""));
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<string>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          if (opts.signal?.aborted) throw new AsmError("aborted", `${method} ${path} aborted`, { cause });
          throw new AsmError("network_error", `${method} ${path}: the response body was cut off`, {
            status: res.status,
            retryable: true,
            cause,
          });
        }
        if (chunk.done) return;
        yield chunk.value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...this.authHeaders(), ...opts.headers };
    let body: string | undefined;
    if (opts.rawBody !== undefined) {
      headers["content-type"] = opts.rawBody.contentType;
      body = opts.rawBody.text;
    } else if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    try {
      return await this.fetchImpl(this.url(path, opts.query).toString(), { method, headers, body, signal: opts.signal });
    } catch (cause) {
      if (opts.signal?.aborted) throw new AsmError("aborted", `${method} ${path} aborted`, { cause });
      throw new AsmError("network_error", `${method} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
        retryable: true,
        cause,
      });
    }
  }
}

import type { ServerResponse } from "node:http";
import type { z } from "zod";
import { AppError } from "../src/core/errors";

/** Small request/response helpers for the sandbox server: JSON in with zod, JSON (or an error body) out. */

export const MAX_BODY_BYTES = 64 * 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";

/** A request body as JSON: empty is `{}`, malformed JSON is a 400, never a crash. */
export function parseJsonText(text: string): unknown {
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch (err) {
    throw new AppError("validation_error", "request body is not valid JSON", { reason: (err as Error).message });
  }
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("validation_error", `invalid ${where}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("internal_error", err instanceof Error ? err.message : String(err));
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE } });
}

export function errorResponse(err: unknown): Response {
  const appError = toAppError(err);
  return jsonResponse(appError.status, appError.toBody());
}

/** The same answers written straight to a node response, for an exec that outlives its request handler (attach.ts). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const appError = toAppError(err);
  sendJson(res, appError.status, appError.toBody());
}

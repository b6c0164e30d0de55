import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { AppError } from "../src/core/errors";

/** Small request/response helpers for the sandbox server: JSON in with zod, JSON (or an error body) out. */

export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new AppError("payload_too_large", `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses the JSON body with a schema; malformed JSON or fields become a 400, never a crash. */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.output<S>> {
  const text = await readBody(req);
  let raw: unknown;
  try {
    raw = text === "" ? {} : JSON.parse(text);
  } catch (err) {
    throw new AppError("validation_error", "request body is not valid JSON", { reason: (err as Error).message });
  }
  return parseWith(schema, raw, "body");
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("internal_error", err instanceof Error ? err.message : String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const appError = toAppError(err);
  sendJson(res, appError.status, appError.toBody());
}

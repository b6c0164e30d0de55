import { z } from "zod";
import { AppError } from "./errors";

/**
 * Opaque keyset cursors: URL-safe base64 of `{t: tenant, k: kind, o: order, v: [sort value], i: last id}`. A
 * malformed cursor, or one minted for another tenant, list or ordering, is `invalid_cursor`: never silently page 1
 * again, and never another tenant's position.
 */
const CursorSchema = z.object({
  t: z.string(),
  k: z.string(),
  o: z.string(),
  v: z.union([z.string(), z.number()]),
  i: z.string(),
});
export type Cursor = z.infer<typeof CursorSchema>;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(JSON.stringify(cursor));
}

export function decodeCursor(raw: string, tenantId: string, kind: string, order: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(raw));
  } catch {
    throw new AppError("invalid_cursor", "The cursor is malformed", { cursor: raw });
  }
  const result = CursorSchema.safeParse(parsed);
  if (!result.success) throw new AppError("invalid_cursor", "The cursor is malformed", { cursor: raw });
  if (result.data.t !== tenantId) throw new AppError("invalid_cursor", "The cursor was issued to another tenant", { cursor: raw });
  if (result.data.k !== kind || result.data.o !== order) {
    throw new AppError("invalid_cursor", `The cursor belongs to another listing (${result.data.k}/${result.data.o})`, {
      expected: { kind, order },
    });
  }
  return result.data;
}

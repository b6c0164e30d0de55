import type { JsonObject } from "./json";

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;

/**
 * Shrinks the longest strings inside `data` until its JSON fits `limit` UTF-8 bytes.
 * Used for events produced by adapters: a huge tool output must be cut and flagged, never fail the run.
 */
export function fitToLimit(data: JsonObject, limit: number): { data: JsonObject; truncated: boolean } {
  let size = bytesOf(data);
  if (size <= limit) return { data, truncated: false };
  let cap = Math.max(256, Math.floor(limit / 2));
  let out = data;
  while (size > limit && cap >= 64) {
    out = capStrings(data, cap, 0) as JsonObject;
    size = bytesOf(out);
    cap = Math.floor(cap / 2);
  }
  return { data: out, truncated: true };
}

function capStrings(value: unknown, cap: number, depth: number): unknown {
  if (typeof value === "string") {
    return value.length > cap ? `${value.slice(0, cap)}…[truncated ${value.length - cap} chars]` : value;
  }
  if (depth > 20 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => capStrings(v, cap, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, capStrings(v, cap, depth + 1)]));
}

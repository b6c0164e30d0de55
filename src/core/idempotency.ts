import { isPlainObject } from "./json";

/**
 * The fingerprint stored with an Idempotency-Key: SHA-256 of the validated body (defaults applied, unknown
 * fields dropped) serialized with sorted keys, so key order and omitted defaults do not make two equal
 * requests differ.
 */
export async function requestFingerprint(body: unknown): Promise<string> {
  const canonical = JSON.stringify(body, (_key, value: unknown) =>
    isPlainObject(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value,
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical ?? "null"));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Strong entity tags for JSON representations, computed synchronously so the session's object can compare an
 * If-Match inside one turn (no await between the check and the write). Two 53-bit string hashes (cyrb53 with
 * different seeds): enough to tell versions of one resource apart, which is all an ETag promises.
 */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The quoted ETag of a JSON value, as sent in the `ETag` header. */
export function etagOf(value: unknown): string {
  const text = JSON.stringify(value);
  return `"${cyrb53(text, 1).toString(16).padStart(14, "0")}${cyrb53(text, 2).toString(16).padStart(14, "0")}"`;
}

/**
 * Whether an If-None-Match / If-Match header value names this tag: `*` matches anything, a list matches any of
 * its members, and weak tags (`W/"…"`) compare by their opaque part (RFC 9110 §13.1.2's weak comparison).
 */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (header === null || header === undefined) return false;
  const value = header.trim();
  if (value === "*") return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return value.split(",").some((tag) => bare(tag) === bare(etag));
}

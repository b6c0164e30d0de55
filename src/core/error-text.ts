/**
 * Truncates error text (stderr) first to `maxLines` lines from the start, then to `maxBytes` bytes on a UTF-8
 * boundary. `truncated` is true if either cut anything or the input was already flagged.
 */
export function truncateErrorText(
  text: string,
  maxLines: number,
  maxBytes: number,
  alreadyTruncated = false,
): { text: string; truncated: boolean } {
  let truncated = alreadyTruncated;
  let out = text;
  const lines = out.split("\n");
  if (lines.length > maxLines) {
    out = lines.slice(0, maxLines).join("\n");
    truncated = true;
  }
  const bytes = new TextEncoder().encode(out);
  if (bytes.length > maxBytes) {
    let end = maxBytes;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is cut in half.
    while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
    out = new TextDecoder().decode(bytes.subarray(0, end));
    truncated = true;
  }
  return { text: out, truncated };
}

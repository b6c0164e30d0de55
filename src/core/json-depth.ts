/**
 * The nesting depth of JSON text (objects and arrays; `{}` is 1), found by one pass over the characters without
 * parsing, so a body nested 100,000 levels deep is measured (and refused) before any recursive code sees it.
 * Brackets inside strings do not count. Stops early once `limit` is exceeded; malformed text is left to the parser.
 */
export function jsonDepthExceeds(text: string, limit: number): { exceeded: boolean; depth: number } {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return { exceeded: true, depth: max };
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { exceeded: false, depth: max };
}

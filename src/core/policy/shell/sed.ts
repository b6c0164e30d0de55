/** Skips a sed regex or replacement delimited by `delim` from `start`; returns the index after the closing delimiter. */
function skipDelimited(script: string, start: number, delim: string, brackets: boolean): number {
  for (let i = start; i < script.length; i++) {
    const ch = script[i];
    if (ch === "\\") i++;
    else if (ch === delim) return i + 1;
    else if (brackets && ch === "[") {
      // In a bracket expression the delimiter is literal; `]` right after `[` or `[^` is part of the set.
      let j = i + 1;
      if (script[j] === "^") j++;
      if (script[j] === "]") j++;
      for (; j < script.length && script[j] !== "]"; j++) {
        if (script[j] === "[" && /[:.=]/.test(script[j + 1] ?? "")) {
          const close = script.indexOf(`${script[j + 1]}]`, j + 2);
          if (close < 0) return -1;
          j = close + 1;
        }
      }
      if (j >= script.length) return -1;
      i = j;
    }
  }
  return -1;
}

const SED_SIMPLE = new Set([..."{}=dDgGhHnNpPxzFlLqQ"]);

/**
 * Whether a sed script can run a command: the `e` command or the `s///e` flag. It reads the script command by
 * command; anything it does not recognise counts as "can run" (fail closed).
 */
export function sedCanExecute(script: string): boolean {
  const toLineEnd = (from: number) => {
    const end = script.indexOf("\n", from);
    return end < 0 ? script.length : end;
  };
  let i = 0;
  while (i < script.length) {
    const ch = script[i] as string;
    if (/[\s;]/.test(ch)) i++;
    else if (ch === "#") i = toLineEnd(i);
    else if (/[0-9$,~!]/.test(ch))
      i++; // line addresses, ranges, steps and negation
    else if (ch === "/" || ch === "\\") {
      const delim = ch === "/" ? "/" : script[i + 1];
      if (delim === undefined || delim === "\n" || delim === "\\") return true;
      i = skipDelimited(script, ch === "/" ? i + 1 : i + 2, delim, true);
      if (i < 0) return true;
      while (/[IM]/.test(script[i] ?? "")) i++; // address regex flags
    } else if (SED_SIMPLE.has(ch))
      i = ch === "l" || ch === "L" || ch === "q" || ch === "Q" ? i + 1 + (/^\d*/.exec(script.slice(i + 1))?.[0].length ?? 0) : i + 1;
    else if (ch === ":" || ch === "b" || ch === "t" || ch === "T" || ch === "v") {
      const end = script.slice(i + 1).search(/[;\n]/);
      i = end < 0 ? script.length : i + 1 + end;
    } else if ("aic".includes(ch)) {
      // Text to the end of the line; a backslash before the newline continues it.
      let end = toLineEnd(i);
      while (end < script.length && script[end - 1] === "\\") end = toLineEnd(end + 1);
      i = end;
    } else if ("rRwW".includes(ch)) i = toLineEnd(i);
    else if (ch === "s" || ch === "y") {
      const delim = script[i + 1];
      if (delim === undefined || delim === "\n" || delim === "\\") return true;
      const afterPattern = skipDelimited(script, i + 2, delim, true);
      if (afterPattern < 0) return true;
      i = skipDelimited(script, afterPattern, delim, false);
      if (i < 0) return true;
      if (ch === "y") continue;
      const flags = /^[gpIiMm0-9ew]*/.exec(script.slice(i))?.[0] ?? "";
      if (flags.includes("e")) return true;
      i = flags.includes("w") ? toLineEnd(i) : i + flags.length;
    } else return true; // `e` itself, or something we do not know
  }
  return false;
}

/** Minimal ANSI styling; every helper is the identity when colour is off. */
export type Style = (text: string) => string;
export type Palette = { dim: Style; bold: Style; red: Style; green: Style; yellow: Style; cyan: Style; magenta: Style };

const sgr =
  (open: number, close: number): Style =>
  (text) =>
    text === "" ? text : `\x1b[${open}m${text}\x1b[${close}m`;
const plain: Style = (text) => text;

export function palette(color: boolean): Palette {
  if (!color) return { dim: plain, bold: plain, red: plain, green: plain, yellow: plain, cyan: plain, magenta: plain };
  return {
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
  };
}

/** Moves up one line and clears it: used to replace a ◐ line in place. */
export const REPLACE_PREVIOUS_LINE = "\x1b[1A\r\x1b[2K";

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Removes colour and cursor sequences (for files and pipes). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

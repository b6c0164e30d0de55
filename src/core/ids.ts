/** Prefixed random ids: `ses_`, `run_`, `evt_` + 32 lowercase hex characters (16 random bytes). */
export type IdPrefix = "ses" | "run" | "evt" | "art" | "tc" | "wh";

export function randomHex(bytes = 16): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomHex(16)}`;
}

export const ID_PATTERNS = {
  session: /^ses_[0-9a-f]{32}$/,
  run: /^run_[0-9a-f]{32}$/,
} as const;

/**
 * The one constant-time comparison for secrets (API keys, shared tokens). Web-standard only, so the Worker and
 * the Node sandbox server use the same function: the time taken depends on the lengths, never on where the
 * inputs first differ. Compared as UTF-8 bytes, so two different strings never compare equal.
 */

const encoder = new TextEncoder();

export function constantTimeEqual(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  // A length difference is folded into the result rather than returned early, and every byte of the longer
  // input is still visited.
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

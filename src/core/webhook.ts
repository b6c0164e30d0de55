import { z } from "zod";

/** Webhook signatures: `x-asm-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function signPayload(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** True when the header carries a valid signature of `body` made within `toleranceSec` of `now` (unix seconds). */
export async function verifySignature(secret: string, header: string, body: string, now: number, toleranceSec = 300): Promise<boolean> {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  const v1 = parts.v1;
  if (!Number.isInteger(t) || !v1 || Math.abs(now - t) > toleranceSec) return false;
  return constantTimeEqual(await hmacHex(secret, `${t}.${body}`), v1);
}

/** Exponential backoff for redeliveries: 1 s, 2 s, 4 s … capped at 5 min, with up to 20 % jitter. */
export function nextRetryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(300_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + 0.2 * random()));
}

export const WebhookConfigSchema = z.object({
  url: z.url(),
  secret: z.string().min(16),
  types: z.array(z.string()).nullable().default(null),
  scope: z.enum(["session", "tenant"]),
});
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

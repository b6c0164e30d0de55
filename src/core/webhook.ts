import { Webhook } from "standardwebhooks";
import { z } from "zod";

/**
 * Webhook deliveries are signed with the Standard Webhooks scheme (https://www.standardwebhooks.com): headers
 * `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`), so receivers verify with the `standardwebhooks` libraries.
 */

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodedLength(b64: string): number {
  return b64.length % 4 === 0 && BASE64.test(b64) ? (b64.length / 4) * 3 - (b64.match(/=+$/)?.[0].length ?? 0) : -1;
}

/** A secret as Standard Webhooks defines it: `whsec_` + base64 of 24 to 64 random bytes. */
export const WebhookSecretSchema = z.string().refine((s) => {
  if (!s.startsWith("whsec_")) return false;
  const n = decodedLength(s.slice("whsec_".length));
  return n >= 24 && n <= 64;
}, "secret must be whsec_ followed by the base64 of 24 to 64 bytes (the Standard Webhooks format)");

export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * The signer for a stored secret. A `whsec_` + base64 secret (every generated one, the old `whsec_<hex>` ones
 * included: hex is valid base64) is used as the standard says; a secret stored before the standard, in another
 * form, is used as raw bytes, which a receiver matches with `new Webhook(secret, { format: "raw" })`.
 */
function signerFor(secret: string): Webhook {
  if (secret.startsWith("whsec_") && decodedLength(secret.slice("whsec_".length)) > 0) return new Webhook(secret);
  return new Webhook(secret, { format: "raw" });
}

export type SignatureHeaders = { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string };

/** The three Standard Webhooks headers for one delivery attempt of message `id`. */
export function signDelivery(secret: string, id: string, at: Date, body: string): SignatureHeaders {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signerFor(secret).sign(id, at, body),
  };
}

/**
 * The message id of a batch: the same across retries (the retried batch is pinned to the same sequences), so a
 * receiver can use it to drop a duplicate when our earlier attempt reached it but its answer did not reach us.
 */
export function deliveryId(webhookId: string, sessionId: string, firstSequence: number, lastSequence: number): string {
  return `${webhookId}:${sessionId}:${firstSequence}-${lastSequence}`;
}

/** Exponential backoff for redeliveries: 1 s, 2 s, 4 s … capped at 5 min, with up to 20 % jitter. */
export function nextRetryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(300_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + 0.2 * random()));
}

/** Delivery state of a webhook for one session (a tenant-wide webhook has one per session it delivered from). */
export const SessionDeliveryStateSchema = z.object({
  session_id: z.string(),
  cursor: z.number().int().describe("Events up to this sequence were delivered (or skipped by the type filter)"),
  last_attempt_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
  last_status: z.number().int().nullable().describe("HTTP status of the last attempt; null when none came back"),
  last_error: z.string().nullable(),
  consecutive_failures: z.number().int(),
  next_attempt_at: z.string().nullable().describe("When the failed batch is retried; null when caught up"),
});
export type SessionDeliveryState = z.infer<typeof SessionDeliveryStateSchema>;

export const DeliveryStateSchema = z.object({
  last_attempt_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
  last_error: z.string().nullable().describe("Error of the most recent attempt; null when it succeeded"),
  consecutive_failures: z.number().int().describe("The highest count over the webhook's sessions"),
  next_attempt_at: z.string().nullable().describe("The earliest scheduled retry"),
  session_count: z.number().int(),
  sessions: z
    .array(SessionDeliveryStateSchema)
    .describe("Per session, most recently attempted first (at most 100; session_count says how many there are)"),
});
export type DeliveryState = z.infer<typeof DeliveryStateSchema>;

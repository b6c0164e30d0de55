import { z } from "zod";

/**
 * Short-lived stream tokens: what a browser puts in an SSE or WebSocket URL instead of an API key (EventSource and
 * WebSocket cannot send headers). `base64url(payload).base64url(HMAC-SHA256(secret, payload))`, the payload naming
 * the tenant, the one session it opens and its expiry; nothing else is accepted with it.
 */
const PayloadSchema = z.object({ v: z.literal(1), t: z.string().min(1), s: z.string().min(1), e: z.number().int() });
/** What POST /v1/sessions/:id/stream-token answers. */
export const StreamTokenSchema = z
  .object({
    token: z.string().describe("Pass as ?token= to this session's SSE stream or WebSocket (nothing else accepts it)"),
    session_id: z.string(),
    expires_at: z.string().describe("ISO time after which the token is refused (STREAM_TOKEN_TTL_MS after minting)"),
  })
  .meta({ id: "StreamToken" });
export type StreamToken = z.infer<typeof StreamTokenSchema>;

export type StreamTokenClaims = { tenantId: string; sessionId: string; expiresAt: number };

const encoder = new TextEncoder();

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

export async function mintStreamToken(secret: string, claims: StreamTokenClaims): Promise<string> {
  const payload = encoder.encode(JSON.stringify({ v: 1, t: claims.tenantId, s: claims.sessionId, e: claims.expiresAt }));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), payload));
  return `${toBase64Url(payload)}.${toBase64Url(signature)}`;
}

/** The token's claims when its signature holds and it has not expired; null otherwise (never says which). */
export async function verifyStreamToken(secret: string, token: string, now = Date.now()): Promise<StreamTokenClaims | null> {
  const [payloadText, signatureText, extra] = token.split(".");
  if (!payloadText || !signatureText || extra !== undefined) return null;
  const payload = fromBase64Url(payloadText);
  const signature = fromBase64Url(signatureText);
  if (!payload || !signature) return null;
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), signature, payload))) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return null;
  }
  const claims = PayloadSchema.safeParse(parsed);
  if (!claims.success || claims.data.e <= now) return null;
  return { tenantId: claims.data.t, sessionId: claims.data.s, expiresAt: claims.data.e };
}

/**
 * The signing secret: STREAM_TOKEN_SECRET, else one derived from API_KEYS (itself a secret, so tokens stay
 * unforgeable without either; rotating the keys ends the tokens). Null when neither is set: tokens are refused.
 */
export async function streamTokenSecret(vars: Record<string, unknown>): Promise<string | null> {
  const explicit = typeof vars.STREAM_TOKEN_SECRET === "string" ? vars.STREAM_TOKEN_SECRET.trim() : "";
  if (explicit) return explicit;
  const keys = typeof vars.API_KEYS === "string" ? vars.API_KEYS.trim() : "";
  if (!keys) return null;
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`asm-stream-token:v1:${keys}`));
  return toBase64Url(new Uint8Array(digest));
}

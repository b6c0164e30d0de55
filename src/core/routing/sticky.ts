import { z } from "zod";

/**
 * Sticky routing: a sticky id (by default the session id) is bound to the provider that last served it,
 * until `expires_at`. Best-effort: a bound provider that is not available is passed over, and the binding then
 * follows whichever provider serves. Pure, time injected.
 */

export const DEFAULT_STICKY_TTL_MS = 300_000;

export const StickyBindingSchema = z.object({
  provider: z.string().min(1),
  expires_at: z.number(),
});
export type StickyBinding = z.infer<typeof StickyBindingSchema>;

/** The bound provider, or null when there is no binding or it has expired. */
export function boundProvider(binding: StickyBinding | null | undefined, now: number): string | null {
  if (!binding || now >= binding.expires_at) return null;
  return binding.provider;
}

/** A fresh binding to `provider`; every successful use renews the expiry. */
export function bindProvider(provider: string, now: number, ttlMs: number): StickyBinding {
  return { provider, expires_at: now + ttlMs };
}

/**
 * Puts the bound provider first when it is among the available candidates; otherwise the normal order stands.
 * Never adds a provider: exclusion, capability and health filters have already run.
 */
export function applySticky(available: readonly string[], bound: string | null): string[] {
  if (bound === null || !available.includes(bound)) return [...available];
  return [bound, ...available.filter((id) => id !== bound)];
}

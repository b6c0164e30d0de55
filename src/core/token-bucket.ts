/**
 * A token bucket: `rate` tokens a second, holding at most `capacity`. A request for `n` is admitted when the bucket
 * holds min(n, capacity): a batch larger than the bucket is not refused forever, it borrows, and the bucket goes
 * negative until the rate has paid for it, so the long-run rate never exceeds `rate`. Pure: the caller keeps the state.
 */
export type Bucket = { tokens: number; at: number };

export type TakeResult = { ok: true; bucket: Bucket; granted: number } | { ok: false; bucket: Bucket; retryAfterMs: number };

export function refill(bucket: Bucket | null, rate: number, capacity: number, now: number): Bucket {
  if (!bucket) return { tokens: capacity, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(capacity, bucket.tokens + (elapsed * rate) / 1000), at: now };
}

/**
 * Takes `n` tokens, plus up to `extra` more if the bucket can spare them without going below zero (a lease the caller
 * spends locally before it asks again).
 */
export function take(bucket: Bucket | null, n: number, extra: number, rate: number, capacity: number, now: number): TakeResult {
  const current = refill(bucket, rate, capacity, now);
  const need = Math.min(n, capacity);
  if (n > 0 && (capacity <= 0 || current.tokens < need)) {
    // With no rate at all nothing will ever be admitted; a minute is as good an answer as any.
    const retryAfterMs = rate <= 0 ? 60_000 : Math.ceil(((need - current.tokens) * 1000) / rate);
    return { ok: false, bucket: current, retryAfterMs };
  }
  const afterN = current.tokens - n;
  const bonus = Math.max(0, Math.min(extra, Math.floor(afterN)));
  return { ok: true, bucket: { tokens: afterN - bonus, at: now }, granted: n + bonus };
}

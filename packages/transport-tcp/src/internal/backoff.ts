/**
 * Delay before reconnection attempt number `failures` (1 after the first failure): capped
 * exponential backoff, `min(maxMs, initialMs · 2^(failures−1))`, of which a `jitter` fraction
 * is random, so peers that lost the same node do not retry in lockstep.
 *
 * Invariant: `(1 − jitter) · base ≤ delay ≤ base ≤ maxMs`, with `base` the capped exponential.
 */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, jitter: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const base = Math.min(maxMs, initialMs * 2 ** exponent);
  const r = random();
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.max(1, Math.round(base * (1 - jitter * unit)));
}

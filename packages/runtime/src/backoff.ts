/**
 * Restart backoff for crashed pods. Kubernetes' CrashLoopBackOff doubles from 10 s up to 5 min and resets after a
 * container ran for 10 min; locally a pod starts in well under a second, so the defaults are 100 ms doubling up to
 * 10 s, reset once a pod stayed up 10 s.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A pod that stays running this long proves the revision healthy again: the failure count goes back to 0. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 100, maxMs: 10_000, resetAfterMs: 10_000 });

/** Delay before the next start after `failures` consecutive failures (0 → no delay). */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  if (failures <= 0) return 0;
  // 2 ** 30 already exceeds any sane maxMs; clamping the exponent keeps the arithmetic finite.
  const delay = policy.initialMs * 2 ** Math.min(failures - 1, 30);
  return Math.min(delay, policy.maxMs);
}

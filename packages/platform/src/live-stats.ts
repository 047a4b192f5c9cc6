/**
 * Live numbers of a revision for `kdp revision list -o wide` and the describe commands: requests per second and
 * p50/p99 latency over the last minute, from the activator's request-duration histogram (which every request of
 * the local platform goes through). Off the request path: a 5 s timer copies each revision's cumulative bucket
 * counts into a ring; a reading subtracts the oldest copy within the window from the current counts, and the
 * quantiles are read from the difference the way Prometheus' `histogram_quantile` does (linear within a bucket).
 */
import type { RequestTotals } from '@kdp/activator';

interface Snapshot {
  readonly atMs: number;
  readonly count: number;
  readonly buckets: readonly number[];
}

export interface WindowNumbers {
  /** The window actually covered (shorter than a minute right after the revision appeared). */
  readonly windowS: number;
  readonly rps: number;
  /** null with no request in the window. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export class LiveStats {
  readonly #rings = new Map<string, Snapshot[]>();
  readonly #windowMs: number;
  readonly #bounds: readonly number[];

  /** `boundsSeconds`: the histogram's finite upper bounds (`REQUEST_DURATION_BUCKETS_SECONDS`). */
  constructor(boundsSeconds: readonly number[], windowMs = 60_000) {
    this.#bounds = boundsSeconds;
    this.#windowMs = windowMs;
  }

  /** Records the revision's totals now; keeps a window's worth (plus one) of copies. */
  sample(key: string, totals: RequestTotals, nowMs: number): void {
    let ring = this.#rings.get(key);
    if (ring === undefined) {
      ring = [];
      this.#rings.set(key, ring);
    }
    ring.push({ atMs: nowMs, count: totals.count, buckets: totals.buckets });
    while (ring.length > 1 && (ring[1]?.atMs ?? nowMs) <= nowMs - this.#windowMs) ring.shift();
  }

  forget(key: string): void {
    this.#rings.delete(key);
  }

  /** Numbers over the window ending now, against the oldest copy within it; null before the first copy. */
  numbers(key: string, totals: RequestTotals, nowMs: number): WindowNumbers | null {
    const ring = this.#rings.get(key);
    const base = ring?.find((s) => s.atMs >= nowMs - this.#windowMs) ?? ring?.[ring.length - 1];
    if (base === undefined) return null;
    const windowS = Math.max(0.001, (nowMs - base.atMs) / 1000);
    const n = totals.count - base.count;
    const delta = totals.buckets.map((c, i) => c - (base.buckets[i] ?? 0));
    return {
      windowS: Math.round(windowS),
      rps: n / windowS,
      p50Ms: quantileMs(0.5, delta, n, this.#bounds),
      p99Ms: quantileMs(0.99, delta, n, this.#bounds),
    };
  }
}

/** `histogram_quantile`: the bucket holding the q-th observation, linear inside it; the +Inf bucket gives its lower bound. */
export function quantileMs(q: number, perBucket: readonly number[], n: number, bounds: readonly number[]): number | null {
  if (n <= 0) return null;
  const rank = q * n;
  let cumulative = 0;
  for (let i = 0; i < perBucket.length; i++) {
    const c = perBucket[i] ?? 0;
    if (c > 0 && cumulative + c >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i];
      if (upper === undefined) return lower * 1000;
      return (lower + ((upper - lower) * (rank - cumulative)) / c) * 1000;
    }
    cumulative += c;
  }
  return null;
}

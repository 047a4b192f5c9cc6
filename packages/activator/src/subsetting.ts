/**
 * Activator subsetting (serving: pkg/activator/net/throttler.go `inferIndex`, `assignSlice`, `handlePubEpsUpdate`).
 * The SKS reconciler puts a consistent-hash subset of activators into a revision's *public* endpoints
 * (knative/pkg hash.ChooseSubset); each activator in that subset finds its position among the sorted IPs and, for
 * containerConcurrency > 0, takes only its slice of the revision's pods, so the subset shares the pods without
 * over-committing any pod's concurrency.
 */

export interface ActivatorSlot {
  /** This activator's position among the sorted public endpoint IPs; -1 = not among them (take every pod). */
  readonly index: number;
  /** How many activators the public endpoints list. */
  readonly count: number;
}

export const ALL_PODS: ActivatorSlot = Object.freeze({ index: -1, count: 0 });

/** Knative `inferIndex`: sort the IPs as strings and find ours. */
export function inferSlot(ips: Iterable<string>, selfIp: string): ActivatorSlot {
  const sorted = [...new Set(ips)].sort();
  const index = sorted.indexOf(selfIp);
  return index === -1 ? ALL_PODS : { index, count: sorted.length };
}

/**
 * Knative `assignSlice` over pods sorted by `"ip:port"` (a lexicographic string sort): with more activators than
 * pods, activator i gets pod `i mod P`; otherwise the contiguous slice `[i·⌊P/A⌋, (i+1)·⌊P/A⌋)` plus, for the first
 * `P mod A` activators, one of the remnant pods at the end. Index -1, one activator or ≤ 1 pod: every pod.
 */
export function assignSlice<T>(sorted: readonly T[], slot: ActivatorSlot): T[] {
  const { index, count } = slot;
  const n = sorted.length;
  if (index < 0 || count <= 1 || n <= 1) return sorted.slice();
  if (count > n) return [sorted[index % n] as T];
  const per = Math.floor(n / count);
  const out = sorted.slice(index * per, (index + 1) * per);
  const remnants = n % count;
  if (index < remnants) out.push(sorted[per * count + index] as T);
  return out;
}

/**
 * Pod-picking policies of Knative's activator (`pkg/activator/net/lb_policy.go`), as plain functions over the
 * revision's ready pods, sorted by address. Chosen by container concurrency (`throttler.go` `newRevisionThrottler`):
 *   cc = 0   → power of two random choices, fewer in-flight wins (`randomChoice2Policy`);
 *   cc 1..3  → first pod in address order with a free slot (`firstAvailableLBPolicy`);
 *   cc > 3   → round robin from after the last pick, skipping full pods (`newRoundRobinPolicy`).
 * A policy only picks; the caller counts the request on the pod it returns. `null` means no pod has a free slot.
 */
import type { Rng } from './clock.js';

export interface LbCandidate {
  readonly inFlight: number;
}

export type LbPolicy = <T extends LbCandidate>(targets: readonly T[]) => T | null;

/** Knative's `randomChoice2Policy`, including its use of the random source, so tests can replay Go's cases. */
export function randomChoice2(rng: Rng): LbPolicy {
  return <T extends LbCandidate>(targets: readonly T[]): T | null => {
    const l = targets.length;
    if (l === 0) return null;
    if (l === 1) return targets[0] ?? null;
    let r1 = 0;
    let r2 = 1;
    if (l > 2) {
      // Two distinct indices: the second is drawn from l - 1 values and shifted past the first.
      r1 = Math.floor(rng() * l);
      r2 = Math.floor(rng() * (l - 1));
      if (r2 >= r1) r2++;
    }
    const a = targets[r1];
    const b = targets[r2];
    if (a === undefined || b === undefined) return a ?? b ?? null; // only with an RNG outside [0, 1)
    if (a.inFlight > b.inFlight) return b;
    // Ties are broken by a coin (Go: `rand.Int63()%2 == 0` picks the alternative).
    if (a.inFlight === b.inFlight && Math.floor(rng() * 2) === 0) return b;
    return a;
  };
}

/** Knative's `firstAvailableLBPolicy`: the first pod, in address order, with fewer than `cc` requests. */
export function firstAvailable(cc: number): LbPolicy {
  return <T extends LbCandidate>(targets: readonly T[]): T | null => {
    for (const t of targets) if (t.inFlight < cc) return t;
    return null;
  };
}

/** Knative's `newRoundRobinPolicy`: one cursor per revision, restarted at 0 when the pod list shrank under it. */
export function roundRobin(cc: number): LbPolicy {
  let idx = 0;
  return <T extends LbCandidate>(targets: readonly T[]): T | null => {
    const l = targets.length;
    if (idx >= l) idx = 0;
    for (let i = 0; i < l; i++) {
      const p = (idx + i) % l;
      const t = targets[p];
      if (t !== undefined && t.inFlight < cc) {
        idx = p + 1;
        return t;
      }
    }
    return null;
  };
}

/** The policy Knative picks for a revision's container concurrency. */
export function lbPolicyFor(containerConcurrency: number, rng: Rng): LbPolicy {
  if (containerConcurrency === 0) return randomChoice2(rng);
  if (containerConcurrency <= 3) return firstAvailable(containerConcurrency);
  return roundRobin(containerConcurrency);
}

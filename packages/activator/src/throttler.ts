/**
 * Per-revision throttling (Knative `pkg/activator/net/throttler.go` `revisionThrottler`): a revision-wide breaker
 * whose capacity is `containerConcurrency × readyPods`, plus per-pod in-flight counts the load-balancing policy
 * picks from. A request that gets a revision slot always finds a pod with a free slot, because the throttler keeps
 *
 *     breaker.executing === Σ inFlight over attached pods   and   breaker.capacity === cc × attached pods
 *
 * (cc = 0: capacity is unlimited once one pod is ready, 0 before). Knative breaks the first equality when a pod
 * leaves with requests still on it: their revision slots stay held, so a waiter can sit behind them while a
 * remaining pod is idle, and `try` must re-enqueue when the policy finds nothing. Here a leaving pod hands its
 * revision slots back at once (its requests finish on their own), so neither can happen.
 *
 * Differences from Knative, deliberate:
 *  - The buffer is bounded for real: at most `maxBuffered` requests wait per revision, beyond that `acquire`
 *    answers `'rejected'`. Knative's bound is QueueDepth + MaxInt32, i.e. none (docs/contract/activator-autoscaler-routing.md §1.3).
 *  - cc = 0 uses the same core `Breaker` (capacity 0 or MaxInt32) instead of Knative's `infiniteBreaker`: the effect
 *    is the same (everyone waits for the first pod, then nobody waits), and waiters are released in arrival order.
 *  - No ClusterIP mode and no activator subsetting: kdp's runtime tells the activator every pod directly.
 */
import { Breaker, MAX_BREAKER_CAPACITY } from '@kdp/core';
import type { BreakerWaiter, UnreachableCause, Upstream } from '@kdp/core';
import type { Rng } from './clock.js';
import { lbPolicyFor } from './lb-policy.js';
import type { LbPolicy } from './lb-policy.js';
import { PodTracker } from './pod-tracker.js';

/** Knative `breakerQueueDepth` (throttler.go); kdp enforces it as the number of requests waiting per revision. */
export const DEFAULT_MAX_BUFFERED = 10_000;

/**
 * Where a ticket is: `idle` before `acquire`; `queued` waiting for capacity; `holding` a revision slot and a pod
 * slot (`pod` is set); `released` after release, cancel or close. A ticket is used once.
 */
export type TicketState = 'idle' | 'queued' | 'holding' | 'released';

/** One request's place in a revision throttler. The activator's per-request record extends it. */
export abstract class ThrottleTicket implements BreakerWaiter {
  state: TicketState = 'idle';
  /** The pod whose slot this ticket holds (state `holding`). */
  pod: PodTracker | null = null;

  constructor(readonly throttler: RevisionThrottler) {}

  /** A queued ticket got its slots (`pod` is set). Called synchronously from whatever freed capacity. */
  abstract onThrottleGrant(): void;
  /**
   * A queued ticket will never be granted and holds nothing now: `'closed'` when the revision went away,
   * `'no-pod'` if the invariant was found broken (a bug; answer 503).
   */
  abstract onThrottleFailed(reason: ThrottleFailure): void;

  /**
   * The request sent on this ticket never reached the pod's app (see `UnreachableHandler`); true when the ticket's
   * owner took the request over to send it elsewhere. Default: no.
   */
  onUpstreamUnreachable(_cause: UnreachableCause): boolean {
    return false;
  }

  /** Breaker callback; not for callers. */
  onBreakerGrant(): void {
    this.throttler.granted(this);
  }
}

export type AcquireResult = 'granted' | 'queued' | 'rejected';
export type ThrottleFailure = 'closed' | 'no-pod';

export interface RevisionThrottlerOptions {
  /** 0 = unlimited. */
  readonly containerConcurrency: number;
  /** Most requests waiting at once; default `DEFAULT_MAX_BUFFERED`. */
  readonly maxBuffered?: number;
  /** For the cc = 0 policy; default `Math.random`. */
  readonly rng?: Rng;
  /** Called if the invariant above is ever found broken (a bug); the request is then rejected, not lost. */
  readonly onInvariantBroken?: (detail: string) => void;
}

export class RevisionThrottler {
  readonly containerConcurrency: number;
  readonly maxBuffered: number;
  readonly #breaker: Breaker;
  readonly #policy: LbPolicy;
  /** Attached pods sorted by `dest` (Knative sorts `"ip:port"` strings, so 10.0.0.10 < 10.0.0.9). */
  readonly #pods: PodTracker[] = [];
  /** Queued tickets, so `close()` can answer them; touched only on the queued path. */
  readonly #waiting = new Set<ThrottleTicket>();
  readonly #onInvariantBroken: (detail: string) => void;
  #active = 0;
  #closed = false;

  constructor(opts: RevisionThrottlerOptions) {
    const cc = opts.containerConcurrency;
    if (!Number.isInteger(cc) || cc < 0 || cc > MAX_BREAKER_CAPACITY) {
      throw new RangeError(`RevisionThrottler containerConcurrency must be an integer >= 0, got ${String(cc)}`);
    }
    const maxBuffered = opts.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1 || maxBuffered > MAX_BREAKER_CAPACITY) {
      throw new RangeError(`RevisionThrottler maxBuffered must be a positive integer, got ${String(maxBuffered)}`);
    }
    this.containerConcurrency = cc;
    this.maxBuffered = maxBuffered;
    // Knative: QueueDepth 10000, MaxConcurrency MaxInt32, initial capacity 0 (no pods yet). The breaker's own
    // admission limit is therefore unreachable; `acquire` enforces `maxBuffered` on waiters itself.
    this.#breaker = new Breaker({ queueDepth: maxBuffered, maxConcurrency: MAX_BREAKER_CAPACITY, initialCapacity: 0 });
    this.#policy = lbPolicyFor(cc, opts.rng ?? Math.random);
    this.#onInvariantBroken = opts.onInvariantBroken ?? noop;
  }

  /** Pods taking requests. */
  get readyPods(): number {
    return this.#pods.length;
  }

  /** Requests waiting for capacity (Knative's `kn.revision.request.queued`, without the instant pass-through). */
  get queued(): number {
    return this.#breaker.queued;
  }

  /** Requests holding a slot, i.e. being proxied (Knative's `kn.revision.request.active`). */
  get active(): number {
    return this.#active;
  }

  /** Revision-wide slot limit: cc × ready pods, MaxInt32 for cc = 0 with a pod, 0 without pods. */
  get capacity(): number {
    return this.#breaker.capacity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Snapshot of the attached pods, in load-balancing order. */
  pods(): readonly PodTracker[] {
    return this.#pods.slice();
  }

  /**
   * Ask for a revision slot and a pod slot.
   *  - `'granted'`: `t.pod` is set, the request may be sent now; `release(t)` when it ends.
   *  - `'queued'`: `t.onThrottleGrant()` comes later, unless `cancel(t)` first.
   *  - `'rejected'`: the buffer is full (or the revision closed); nothing is held.
   */
  acquire(t: ThrottleTicket): AcquireResult {
    if (t.state !== 'idle') throw new Error(`ThrottleTicket already used (state ${t.state})`);
    if (this.#closed) return 'rejected';
    const breaker = this.#breaker;
    // A full buffer implies queued > 0, so the breaker would queue this request rather than grant it.
    if (breaker.queued >= this.maxBuffered) return 'rejected';
    switch (breaker.acquire(t)) {
      case 'granted':
        return this.#assign(t) ? 'granted' : 'rejected';
      case 'queued':
        t.state = 'queued';
        this.#waiting.add(t);
        return 'queued';
      case 'rejected':
        return 'rejected';
    }
  }

  /** Breaker grant path of a queued ticket (`ThrottleTicket.onBreakerGrant`). */
  granted(t: ThrottleTicket): void {
    this.#waiting.delete(t);
    if (this.#assign(t)) t.onThrottleGrant();
    else t.onThrottleFailed('no-pod');
  }

  /** The request ended: free its pod slot and revision slot (which may grant a waiter synchronously). */
  release(t: ThrottleTicket): void {
    if (t.state !== 'holding') return;
    const pod = t.pod;
    t.pod = null;
    t.state = 'released';
    this.#active--;
    if (pod === null) return;
    pod.inFlight--;
    // A detached pod's revision slots were handed back when it left (see `removePod`).
    if (pod.attached) this.#breaker.release();
  }

  /** A queued request went away (client abort, timeout). Returns whether it was queued. */
  cancel(t: ThrottleTicket): boolean {
    if (t.state !== 'queued') return false;
    t.state = 'released';
    this.#waiting.delete(t);
    return this.#breaker.cancel(t);
  }

  /** A pod passed its readiness probe: it joins load balancing and waiters are granted at once. */
  addPod(podId: string, upstream: Upstream): PodTracker {
    if (this.#closed) throw new Error('RevisionThrottler is closed');
    const existing = this.#pods.find((p) => p.podId === podId);
    if (existing !== undefined) return existing;
    const tracker = new PodTracker(podId, upstream);
    const pods = this.#pods;
    let i = 0;
    while (i < pods.length && compareTrackers(pods[i] as PodTracker, tracker) < 0) i++;
    pods.splice(i, 0, tracker);
    // Pods first, capacity second: a waiter granted by the capacity change must find the new pod (throttler.go
    // `updateThrottlerState` orders it the same way).
    this.#updateCapacity();
    return tracker;
  }

  /** A pod is stopping or gone: no new requests go to it; those on it finish. Returns whether it was attached. */
  removePod(podId: string): boolean {
    const pods = this.#pods;
    const i = pods.findIndex((p) => p.podId === podId);
    if (i === -1) return false;
    const tracker = pods[i] as PodTracker;
    pods.splice(i, 1);
    tracker.attached = false;
    this.#updateCapacity();
    // Hand back the revision slots of the requests still on the pod, so the invariant holds for the pods that
    // remain. Counted before releasing: a release may grant a waiter, and nothing here touches this tracker.
    const n = tracker.inFlight;
    for (let k = 0; k < n; k++) this.#breaker.release();
    return true;
  }

  /** The revision is gone: waiters are told (`onThrottleFailed('closed')`), in-flight requests finish. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const t of waiting) {
      this.#breaker.cancel(t);
      t.state = 'released';
    }
    for (const t of waiting) t.onThrottleFailed('closed');
  }

  #assign(t: ThrottleTicket): boolean {
    const pod = this.#policy(this.#pods);
    if (pod === null) {
      // Unreachable while the invariant holds; give the slot back rather than lose the request.
      t.state = 'released';
      this.#breaker.release();
      this.#onInvariantBroken(
        `granted a revision slot with no free pod (pods ${String(this.#pods.length)}, capacity ${String(this.capacity)})`,
      );
      return false;
    }
    pod.inFlight++;
    t.pod = pod;
    t.state = 'holding';
    this.#active++;
    return true;
  }

  #updateCapacity(): void {
    const n = this.#pods.length;
    const cc = this.containerConcurrency;
    let capacity: number;
    if (n === 0) capacity = 0;
    else if (cc === 0) capacity = MAX_BREAKER_CAPACITY;
    else capacity = Math.min(cc * n, MAX_BREAKER_CAPACITY);
    this.#breaker.updateConcurrency(capacity);
  }
}

function compareTrackers(a: PodTracker, b: PodTracker): number {
  if (a.dest !== b.dest) return a.dest < b.dest ? -1 : 1;
  return a.podId < b.podId ? -1 : a.podId > b.podId ? 1 : 0;
}

function noop(): void {}

/**
 * Knative's breaker (`pkg/queue/breaker.go`), shared by the queue-proxy and the activator, as a callback API.
 *
 * At most `capacity` requests execute; up to `queueDepth + maxConcurrency` (Knative's `totalSlots`) are admitted in
 * total, executing + queued; beyond that `acquire` answers `'rejected'` at once (Knative's `ErrRequestQueueFull`).
 *
 * Differences from Go, all deliberate:
 *  - Waiters are granted in strict FIFO arrival order (Go's wake-up channel is only roughly FIFO).
 *  - A grant happens synchronously inside `release()` / `updateConcurrency()`, so a request never waits while a
 *    slot is free: outside a grant loop, `queued > 0` implies `executing >= capacity`.
 *  - Cancellation is explicit (`cancel(w)`), not a context: the caller's deadline or client abort calls it.
 *
 * Single-threaded; all methods are O(1) except the grant loop, which is O(granted).
 */

/** A queued request. `onBreakerGrant` must not throw; if it does, the waiter still holds its slot (see `release`). */
export interface BreakerWaiter {
  onBreakerGrant(): void;
}

export interface BreakerOptions {
  /** Requests that may wait for a slot, on top of `maxConcurrency`. Knative: 10 × containerConcurrency. */
  readonly queueDepth: number;
  /** Upper bound of executing requests used for admission (`totalSlots`). Knative: containerConcurrency. */
  readonly maxConcurrency: number;
  /** Executing slots at start, in `[0, maxConcurrency]`. Knative: containerConcurrency. */
  readonly initialCapacity: number;
}

export type BreakerAcquireResult = 'granted' | 'queued' | 'rejected';

/** Knative's `MaxBreakerCapacity` (math.MaxInt32). */
export const MAX_BREAKER_CAPACITY = 2_147_483_647;

/** Linked-list node for a queued waiter; recycled through a free list so a steady queue allocates nothing. */
interface WaitNode {
  waiter: BreakerWaiter | null;
  prev: WaitNode | null;
  next: WaitNode | null;
}

// Nodes kept for reuse. Bounds memory after a burst; beyond it nodes are left to the GC.
const MAX_FREE_NODES = 1024;

export class Breaker {
  readonly queueDepth: number;
  readonly maxConcurrency: number;
  /** `queueDepth + maxConcurrency`: the most requests admitted at once (Knative `totalSlots`). */
  readonly totalSlots: number;

  #capacity: number;
  #executing = 0;
  #queued = 0;
  #head: WaitNode | null = null;
  #tail: WaitNode | null = null;
  // Only touched on the queued path: a granted-at-once request never reaches this map.
  readonly #nodes = new Map<BreakerWaiter, WaitNode>();
  #free: WaitNode | null = null;
  #freeCount = 0;
  #granting = false;

  constructor(opts: BreakerOptions) {
    const { queueDepth, maxConcurrency, initialCapacity } = opts;
    // Same rules as Knative's NewBreaker, which panics; integers only, as Go's ints are.
    if (!Number.isInteger(queueDepth) || queueDepth <= 0 || queueDepth > MAX_BREAKER_CAPACITY) {
      throw new RangeError(
        `Breaker queueDepth must be an integer in 1..${String(MAX_BREAKER_CAPACITY)}, got ${String(queueDepth)}`,
      );
    }
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 0 || maxConcurrency > MAX_BREAKER_CAPACITY) {
      throw new RangeError(
        `Breaker maxConcurrency must be an integer in 0..${String(MAX_BREAKER_CAPACITY)}, got ${String(maxConcurrency)}`,
      );
    }
    if (!Number.isInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > maxConcurrency) {
      throw new RangeError(
        `Breaker initialCapacity must be an integer in 0..maxConcurrency (${String(maxConcurrency)}), ` +
          `got ${String(initialCapacity)}`,
      );
    }
    this.queueDepth = queueDepth;
    this.maxConcurrency = maxConcurrency;
    this.totalSlots = queueDepth + maxConcurrency;
    this.#capacity = initialCapacity;
  }

  /** Executing + queued (Knative `InFlight()`, the `kn.serving.queue.depth` gauge). */
  get inFlight(): number {
    return this.#executing + this.#queued;
  }

  /** Current executing-slot limit (Knative `Capacity()`). */
  get capacity(): number {
    return this.#capacity;
  }

  /** Requests holding a slot (granted and not yet released). May exceed `capacity` after it was lowered. */
  get executing(): number {
    return this.#executing;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Ask for a slot for `w`.
   *  - `'granted'`: a slot is held now; call `release()` when done. `w.onBreakerGrant` is not called.
   *  - `'queued'`: `w.onBreakerGrant()` will be called once a slot frees up, unless `cancel(w)` comes first.
   *  - `'rejected'`: the breaker is full (queue full); nothing is held.
   * A waiter object may be queued at most once at a time.
   */
  acquire(w: BreakerWaiter): BreakerAcquireResult {
    const executing = this.#executing;
    const queued = this.#queued;
    if (executing + queued >= this.totalSlots) return 'rejected';
    // `queued === 0` keeps FIFO when acquire is called re-entrantly from a grant callback.
    if (queued === 0 && executing < this.#capacity) {
      this.#executing = executing + 1;
      return 'granted';
    }
    this.#enqueue(w);
    return 'queued';
  }

  /**
   * Take a slot only if one is free now, never queueing (Knative `Reserve`). Returns whether a slot is held;
   * if so, `release()` it when done.
   */
  tryAcquire(): boolean {
    const executing = this.#executing;
    if (executing + this.#queued >= this.totalSlots) return false;
    if (this.#queued === 0 && executing < this.#capacity) {
      this.#executing = executing + 1;
      return true;
    }
    return false;
  }

  /**
   * Give back a slot held by a granted request, and grant queued waiters (in arrival order, synchronously) while
   * slots are free. If a grant callback throws, the remaining waiters are still granted and the first error is
   * rethrown afterwards; the thrower keeps its slot.
   */
  release(): void {
    if (this.#executing === 0) {
      throw new Error('Breaker.release() called without a matching grant');
    }
    this.#executing--;
    // Re-entrant release (from a grant callback) leaves granting to the running loop: no recursion per waiter.
    if (this.#queued !== 0 && !this.#granting) this.#grantWaiters();
  }

  /**
   * Remove a queued waiter, freeing its admission slot; its `onBreakerGrant` will not be called.
   * Returns whether it was queued (false if unknown, already granted or already cancelled).
   */
  cancel(w: BreakerWaiter): boolean {
    const node = this.#nodes.get(w);
    if (node === undefined) return false;
    this.#unlink(node, w);
    return true;
  }

  /**
   * Change the executing-slot limit (the activator does this as pods come and go). Raising it grants waiters at
   * once; lowering it below `executing` lets in-flight requests finish, and nobody is granted until executing
   * drops below the new limit. Like Knative, `maxConcurrency` (and so `totalSlots`) does not change.
   */
  updateConcurrency(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_BREAKER_CAPACITY) {
      throw new RangeError(
        `Breaker capacity must be an integer in 0..${String(MAX_BREAKER_CAPACITY)}, got ${String(capacity)}`,
      );
    }
    this.#capacity = capacity;
    if (this.#queued !== 0 && !this.#granting) this.#grantWaiters();
  }

  #enqueue(w: BreakerWaiter): void {
    if (this.#nodes.has(w)) throw new Error('BreakerWaiter is already queued in this breaker');
    let node = this.#free;
    if (node === null) {
      node = { waiter: w, prev: this.#tail, next: null };
    } else {
      this.#free = node.next;
      this.#freeCount--;
      node.waiter = w;
      node.prev = this.#tail;
      node.next = null;
    }
    if (this.#tail === null) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#nodes.set(w, node);
    this.#queued++;
  }

  #unlink(node: WaitNode, w: BreakerWaiter): void {
    const { prev, next } = node;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    this.#nodes.delete(w);
    this.#queued--;
    node.waiter = null;
    node.prev = null;
    if (this.#freeCount < MAX_FREE_NODES) {
      node.next = this.#free;
      this.#free = node;
      this.#freeCount++;
    } else {
      node.next = null;
    }
  }

  #grantWaiters(): void {
    this.#granting = true;
    let failed = false;
    let error: unknown;
    // Conditions are re-read each turn: callbacks may release, acquire, cancel or update capacity.
    while (this.#executing < this.#capacity) {
      const node = this.#head;
      if (node === null) break;
      const w = node.waiter;
      if (w === null) break; // unreachable: queued nodes always hold a waiter
      this.#unlink(node, w);
      this.#executing++;
      try {
        w.onBreakerGrant();
      } catch (e) {
        if (!failed) {
          failed = true;
          error = e;
        }
      }
    }
    this.#granting = false;
    if (failed) throw error;
  }
}

import { describe, expect, it } from 'vitest';
import { Breaker, MAX_BREAKER_CAPACITY, type BreakerOptions, type BreakerWaiter } from './breaker.js';

/** A request in a test: records grants, can run a hook inside the grant callback. */
class Req implements BreakerWaiter {
  grants = 0;
  constructor(
    readonly name: string,
    readonly log: string[] = [],
    readonly onGrant?: (r: Req) => void,
  ) {}
  onBreakerGrant(): void {
    this.grants++;
    this.log.push(this.name);
    this.onGrant?.(this);
  }
}

function state(b: Breaker): { executing: number; queued: number; inFlight: number; capacity: number } {
  return { executing: b.executing, queued: b.queued, inFlight: b.inFlight, capacity: b.capacity };
}

// Knative pkg/queue/breaker_test.go, ported to the callback API.
describe('Breaker (Knative breaker_test.go)', () => {
  it.each<[string, BreakerOptions, RegExp]>([
    ['QueueDepth = 0', { queueDepth: 0, maxConcurrency: 1, initialCapacity: 1 }, /queueDepth/],
    ['MaxConcurrency negative', { queueDepth: 1, maxConcurrency: -1, initialCapacity: 1 }, /maxConcurrency/],
    ['InitialCapacity negative', { queueDepth: 1, maxConcurrency: 1, initialCapacity: -1 }, /initialCapacity/],
    ['InitialCapacity out-of-bounds', { queueDepth: 1, maxConcurrency: 5, initialCapacity: 6 }, /initialCapacity/],
    ['QueueDepth fractional', { queueDepth: 1.5, maxConcurrency: 1, initialCapacity: 1 }, /queueDepth/],
    ['QueueDepth NaN', { queueDepth: Number.NaN, maxConcurrency: 1, initialCapacity: 1 }, /queueDepth/],
    [
      'MaxConcurrency above MaxBreakerCapacity',
      { queueDepth: 1, maxConcurrency: MAX_BREAKER_CAPACITY + 1, initialCapacity: 0 },
      /maxConcurrency/,
    ],
  ])('TestBreakerInvalidConstructor: %s', (_name, opts, names) => {
    expect(() => new Breaker(opts)).toThrow(RangeError);
    expect(() => new Breaker(opts)).toThrow(names);
  });

  it('accepts maxConcurrency 0 (activator before any pod) and MaxBreakerCapacity', () => {
    expect(new Breaker({ queueDepth: 1, maxConcurrency: 0, initialCapacity: 0 }).totalSlots).toBe(1);
    const big = new Breaker({ queueDepth: 10, maxConcurrency: MAX_BREAKER_CAPACITY, initialCapacity: 0 });
    expect(big.totalSlots).toBe(MAX_BREAKER_CAPACITY + 10);
  });

  it('TestBreakerOverload: QD=1 CC=1 admits 2, rejects the 3rd, then serves the two', () => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 1 });
    const [r1, r2, r3] = [new Req('1'), new Req('2'), new Req('3')];
    expect(b.acquire(r1)).toBe('granted');
    expect(b.acquire(r2)).toBe('queued');
    expect(b.acquire(r3)).toBe('rejected');
    expect(b.inFlight).toBe(2);
    b.release();
    expect(r2.grants).toBe(1);
    expect(r3.grants).toBe(0);
    b.release();
    expect(state(b)).toEqual({ executing: 0, queued: 0, inFlight: 0, capacity: 1 });
  });

  it('TestBreakerReserveOverload: tryAcquire (Reserve) fails at capacity, works after release', () => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 1 });
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.tryAcquire()).toBe(true);
    b.release();
    expect(b.inFlight).toBe(0);
  });

  it('TestBreakerQueueing: capacity 0 queues both; raising capacity grants at once', () => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 0 });
    const log: string[] = [];
    const [r1, r2] = [new Req('1', log), new Req('2', log)];
    expect(b.acquire(r1)).toBe('queued');
    expect(b.acquire(r2)).toBe('queued');
    b.updateConcurrency(1);
    expect(log).toEqual(['1']);
    b.release();
    expect(log).toEqual(['1', '2']);
    b.release();
    expect(b.inFlight).toBe(0);
  });

  it('TestBreakerNoOverload: process one, send one, stay at capacity, never reject', () => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 1 });
    const log: string[] = [];
    expect(b.acquire(new Req('1', log))).toBe('granted');
    expect(b.acquire(new Req('2', log))).toBe('queued');
    b.release();
    expect(b.acquire(new Req('3', log))).toBe('queued');
    b.release();
    expect(b.acquire(new Req('4', log))).toBe('queued');
    b.release();
    b.release();
    expect(log).toEqual(['2', '3', '4']);
    expect(b.inFlight).toBe(0);
  });

  it('TestBreakerLargeCapacityRecover: QD=5 CC=45, 50 admitted, 50 shed, 50 more as capacity opens', () => {
    const b = new Breaker({ queueDepth: 5, maxConcurrency: 45, initialCapacity: 45 });
    const results: string[] = [];
    for (let i = 0; i < 100; i++) results.push(b.acquire(new Req(String(i))));
    for (let i = 0; i < 50; i++) {
      b.release();
      results.push(b.acquire(new Req(String(100 + i))));
    }
    expect(results.slice(0, 45).every((r) => r === 'granted')).toBe(true);
    expect(results.slice(45, 50).every((r) => r === 'queued')).toBe(true);
    expect(results.slice(50, 100).every((r) => r === 'rejected')).toBe(true);
    expect(results.slice(100).every((r) => r === 'queued')).toBe(true);
    expect(state(b)).toEqual({ executing: 45, queued: 5, inFlight: 50, capacity: 45 });
  });

  it('TestBreakerCancel: cancelled waiters free their slot and are never granted', () => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 0 });
    const log: string[] = [];
    const c1 = new Req('c1', log);
    expect(b.acquire(c1)).toBe('queued');
    expect(b.cancel(c1)).toBe(true);
    expect(b.inFlight).toBe(0);

    // The second cancelled waiter reproduced a Knative bug in freeing pending slots.
    const c2 = new Req('c2', log);
    expect(b.acquire(c2)).toBe('queued');
    expect(b.cancel(c2)).toBe(true);
    expect(b.cancel(c2)).toBe(false);
    expect(b.inFlight).toBe(0);

    b.updateConcurrency(1);
    expect(b.acquire(new Req('r1', log))).toBe('granted');
    const r2 = new Req('r2', log);
    expect(b.acquire(r2)).toBe('queued');
    expect(b.acquire(new Req('r3', log))).toBe('rejected');

    // At capacity a would-be waiter is rejected, so there is nothing to cancel.
    const c3 = new Req('c3', log);
    expect(b.acquire(c3)).toBe('rejected');
    expect(b.cancel(c3)).toBe(false);

    b.release();
    expect(b.cancel(r2)).toBe(false); // already granted: release it instead
    b.release();
    expect(log).toEqual(['r2']);
    expect(b.inFlight).toBe(0);
  });

  it('TestBreakerUpdateConcurrency', () => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 0 });
    b.updateConcurrency(1);
    expect(b.capacity).toBe(1);
    b.updateConcurrency(0);
    expect(b.capacity).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN, MAX_BREAKER_CAPACITY + 1])('updateConcurrency(%s) throws RangeError', (n) => {
    const b = new Breaker({ queueDepth: 1, maxConcurrency: 1, initialCapacity: 0 });
    expect(() => b.updateConcurrency(n)).toThrow(/capacity/);
    expect(b.capacity).toBe(0);
  });
});

describe('Breaker (kdp semantics)', () => {
  it('grants in FIFO arrival order, skipping cancelled waiters', () => {
    const b = new Breaker({ queueDepth: 10, maxConcurrency: 1, initialCapacity: 1 });
    const log: string[] = [];
    const reqs = ['a', 'b', 'c', 'd', 'e'].map((n) => new Req(n, log));
    expect(b.acquire(new Req('first'))).toBe('granted');
    for (const r of reqs) expect(b.acquire(r)).toBe('queued');
    expect(b.cancel(reqs[0]!)).toBe(true); // head
    expect(b.cancel(reqs[2]!)).toBe(true); // middle
    expect(b.cancel(reqs[4]!)).toBe(true); // tail
    for (let i = 0; i < 3; i++) b.release();
    expect(log).toEqual(['b', 'd']);
    expect(state(b)).toEqual({ executing: 0, queued: 0, inFlight: 0, capacity: 1 });
  });

  it('raising capacity grants as many waiters as new slots, in order', () => {
    const b = new Breaker({ queueDepth: 10, maxConcurrency: 5, initialCapacity: 0 });
    const log: string[] = [];
    for (const n of ['a', 'b', 'c', 'd']) expect(b.acquire(new Req(n, log))).toBe('queued');
    b.updateConcurrency(3);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(state(b)).toEqual({ executing: 3, queued: 1, inFlight: 4, capacity: 3 });
  });

  it('lowering capacity below executing grants nobody until executing drops below it', () => {
    const b = new Breaker({ queueDepth: 10, maxConcurrency: 3, initialCapacity: 3 });
    const log: string[] = [];
    for (let i = 0; i < 3; i++) expect(b.acquire(new Req(`x${String(i)}`))).toBe('granted');
    expect(b.acquire(new Req('w', log))).toBe('queued');
    b.updateConcurrency(1);
    b.release(); // executing 2, capacity 1
    b.release(); // executing 1
    expect(log).toEqual([]);
    b.release(); // executing 0 < 1
    expect(log).toEqual(['w']);
    expect(b.executing).toBe(1);
  });

  it('rejects by totalSlots = queueDepth + maxConcurrency even when capacity is lower', () => {
    const b = new Breaker({ queueDepth: 2, maxConcurrency: 3, initialCapacity: 1 });
    const results = Array.from({ length: 6 }, (_, i) => b.acquire(new Req(String(i))));
    expect(results).toEqual(['granted', 'queued', 'queued', 'queued', 'queued', 'rejected']);
    expect(b.inFlight).toBe(5);
  });

  it('never makes a request wait while a slot is free (acquire does not jump the queue either)', () => {
    const b = new Breaker({ queueDepth: 5, maxConcurrency: 2, initialCapacity: 2 });
    const log: string[] = [];
    // A grant callback that immediately acquires for a new request: the newcomer must queue behind waiters.
    const late = new Req('late', log);
    const first = new Req('w1', log, () => {
      expect(b.acquire(late)).toBe('queued');
    });
    b.acquire(new Req('x1'));
    b.acquire(new Req('x2'));
    b.acquire(first);
    b.acquire(new Req('w2', log));
    b.updateConcurrency(4);
    expect(log).toEqual(['w1', 'w2']);
    expect(b.queued).toBe(1);
    b.release();
    expect(log).toEqual(['w1', 'w2', 'late']);
  });

  it('grant callbacks that release synchronously do not recurse (no stack growth with a deep queue)', () => {
    const n = 20_000;
    const b = new Breaker({ queueDepth: n, maxConcurrency: 1, initialCapacity: 1 });
    const log: string[] = [];
    const releaseAtOnce = (): void => b.release();
    expect(b.acquire(new Req('holder'))).toBe('granted');
    for (let i = 0; i < n; i++) b.acquire(new Req('w', log, releaseAtOnce));
    b.release();
    expect(log.length).toBe(n);
    expect(state(b)).toEqual({ executing: 0, queued: 0, inFlight: 0, capacity: 1 });
  });

  it('a throwing grant callback keeps its slot, does not stop later grants, and the error surfaces', () => {
    const b = new Breaker({ queueDepth: 5, maxConcurrency: 2, initialCapacity: 0 });
    const log: string[] = [];
    const boom = new Error('boom');
    b.acquire(
      new Req('bad', log, () => {
        throw boom;
      }),
    );
    b.acquire(new Req('good', log));
    expect(() => b.updateConcurrency(2)).toThrow(boom);
    expect(log).toEqual(['bad', 'good']);
    expect(state(b)).toEqual({ executing: 2, queued: 0, inFlight: 2, capacity: 2 });
  });

  it('cancel from inside a grant callback removes a later waiter', () => {
    const b = new Breaker({ queueDepth: 5, maxConcurrency: 2, initialCapacity: 0 });
    const log: string[] = [];
    const victim = new Req('victim', log);
    b.acquire(new Req('a', log, () => expect(b.cancel(victim)).toBe(true)));
    b.acquire(victim);
    b.acquire(new Req('c', log));
    b.updateConcurrency(2);
    expect(log).toEqual(['a', 'c']);
    expect(victim.grants).toBe(0);
  });

  it('throws on release without a grant and on queueing the same waiter twice', () => {
    const b = new Breaker({ queueDepth: 5, maxConcurrency: 1, initialCapacity: 0 });
    expect(() => b.release()).toThrow(/without a matching grant/);
    const w = new Req('w');
    expect(b.acquire(w)).toBe('queued');
    expect(() => b.acquire(w)).toThrow(/already queued/);
    expect(b.queued).toBe(1);
  });

  it('a waiter object can be reused after it was granted or cancelled', () => {
    const b = new Breaker({ queueDepth: 5, maxConcurrency: 1, initialCapacity: 1 });
    const w = new Req('w');
    b.acquire(new Req('holder'));
    expect(b.acquire(w)).toBe('queued');
    expect(b.cancel(w)).toBe(true);
    expect(b.acquire(w)).toBe('queued');
    b.release();
    expect(w.grants).toBe(1);
    expect(b.acquire(w)).toBe('queued');
    b.release();
    expect(w.grants).toBe(2);
  });

  it('keeps its invariants under a seeded random mix of operations', () => {
    // xorshift32: deterministic, so a failure reproduces.
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const b = new Breaker({ queueDepth: 4, maxConcurrency: 3, initialCapacity: 2 });
    const queued = new Set<Req>();
    let holders = 0;
    let granted = 0;
    const mk = (): Req =>
      new Req('r', [], (r) => {
        queued.delete(r);
        holders++;
        granted++;
      });
    for (let i = 0; i < 3000; i++) {
      const op = rnd(10);
      if (op < 4) {
        const r = mk();
        const res = b.acquire(r);
        if (res === 'granted') holders++;
        else if (res === 'queued') queued.add(r);
        else expect(b.inFlight).toBe(b.totalSlots);
      } else if (op < 7) {
        if (holders > 0) {
          holders--;
          b.release();
        }
      } else if (op < 9) {
        const victim = [...queued][rnd(queued.size + 1)];
        if (victim !== undefined) {
          expect(b.cancel(victim)).toBe(true);
          queued.delete(victim);
        }
      } else {
        b.updateConcurrency(rnd(4));
      }
      expect(b.executing).toBe(holders);
      expect(b.queued).toBe(queued.size);
      expect(b.inFlight).toBeLessThanOrEqual(b.totalSlots);
      if (b.queued > 0) expect(b.executing).toBeGreaterThanOrEqual(b.capacity);
    }
    expect(granted).toBeGreaterThan(100);
  });
});

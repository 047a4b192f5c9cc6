import { MAX_BREAKER_CAPACITY, Upstream } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { RevisionThrottler, ThrottleTicket } from './throttler.js';
import type { ThrottleFailure } from './throttler.js';

class Ticket extends ThrottleTicket {
  grants = 0;
  failed: ThrottleFailure | null = null;
  constructor(
    throttler: RevisionThrottler,
    readonly name: string,
    private readonly log: string[] = [],
  ) {
    super(throttler);
  }
  onThrottleGrant(): void {
    this.grants++;
    this.log.push(`${this.name}→${this.pod?.podId ?? '?'}`);
  }
  onThrottleFailed(reason: ThrottleFailure): void {
    this.failed = reason;
  }
}

// Never connected to: the throttler only reads the address.
const upstream = (port: number): Upstream => new Upstream({ host: '10.0.0.1', port, maxIdle: 1 });

function withPods(cc: number, n: number, maxBuffered?: number): RevisionThrottler {
  const t = new RevisionThrottler({ containerConcurrency: cc, rng: () => 0.5, ...(maxBuffered === undefined ? {} : { maxBuffered }) });
  for (let i = 0; i < n; i++) t.addPod(`pod-${String(i)}`, upstream(8000 + i));
  return t;
}

describe('RevisionThrottler capacity (Knative calculateCapacity, pod mode)', () => {
  it.each([
    { cc: 10, pods: 1, want: 10 },
    { cc: 10, pods: 10, want: 100 },
    { cc: 10, pods: 0, want: 0 },
    { cc: 1, pods: 3, want: 3 },
    { cc: 0, pods: 0, want: 0 },
    { cc: 0, pods: 1, want: MAX_BREAKER_CAPACITY },
    { cc: 0, pods: 5, want: MAX_BREAKER_CAPACITY },
  ])('cc=$cc with $pods ready pods → $want', ({ cc, pods, want }) => {
    expect(withPods(cc, pods).capacity).toBe(want);
  });

  it('sorts pods by address string, as Knative does (10.0.0.1:10000 < 10.0.0.1:9000)', () => {
    const t = new RevisionThrottler({ containerConcurrency: 1 });
    t.addPod('b', upstream(9000));
    t.addPod('a', upstream(10000));
    expect(t.pods().map((p) => p.podId)).toEqual(['a', 'b']);
  });
});

describe('RevisionThrottler waiting and granting', () => {
  it('cc=0: everyone waits for the first pod, then all are granted at once in arrival order', () => {
    const log: string[] = [];
    const t = new RevisionThrottler({ containerConcurrency: 0, rng: () => 0.5 });
    const tickets = ['a', 'b', 'c'].map((n) => new Ticket(t, n, log));
    for (const k of tickets) expect(t.acquire(k)).toBe('queued');
    expect(t.queued).toBe(3);
    t.addPod('p', upstream(8000));
    expect(log).toEqual(['a→p', 'b→p', 'c→p']);
    expect(t.queued).toBe(0);
    expect(t.active).toBe(3);
    expect(t.pods()[0]?.inFlight).toBe(3);
    // No queueing once a pod is there.
    expect(t.acquire(new Ticket(t, 'd'))).toBe('granted');
  });

  it('cc=1 with 3 pods: one request per pod, the 4th waits and goes to the pod that frees up', () => {
    const log: string[] = [];
    const t = withPods(1, 3);
    const held = ['a', 'b', 'c'].map((n) => new Ticket(t, n, log));
    for (const k of held) expect(t.acquire(k)).toBe('granted');
    expect(held.map((k) => k.pod?.podId)).toEqual(['pod-0', 'pod-1', 'pod-2']);
    const d = new Ticket(t, 'd', log);
    expect(t.acquire(d)).toBe('queued');
    t.release(held[1] as Ticket);
    expect(log).toEqual(['d→pod-1']);
    expect(t.pods().map((p) => p.inFlight)).toEqual([1, 1, 1]);
  });

  it('regression: a waiter never sits behind a stopping pod while another pod is free', () => {
    // Knative keeps the revision slots of requests on a removed pod, so here it would wait for B's request.
    const log: string[] = [];
    const t = withPods(1, 2);
    const a = new Ticket(t, 'a', log);
    const b = new Ticket(t, 'b', log);
    t.acquire(a);
    t.acquire(b);
    const c = new Ticket(t, 'c', log);
    expect(t.acquire(c)).toBe('queued');
    expect(t.removePod('pod-1')).toBe(true); // b still in flight on it
    expect(t.capacity).toBe(1);
    t.release(a);
    expect(log).toEqual(['c→pod-0']);
    // b finishing later must not hand out a slot that does not exist.
    t.release(b);
    const d = new Ticket(t, 'd', log);
    expect(t.acquire(d)).toBe('queued');
    t.release(c);
    expect(log).toEqual(['c→pod-0', 'd→pod-0']);
  });

  it('bounds the buffer: beyond maxBuffered waiters the request is rejected', () => {
    const t = withPods(1, 0, 2);
    const a = new Ticket(t, 'a');
    expect(t.acquire(a)).toBe('queued');
    expect(t.acquire(new Ticket(t, 'b'))).toBe('queued');
    expect(t.acquire(new Ticket(t, 'c'))).toBe('rejected');
    expect(t.cancel(a)).toBe(true);
    expect(t.acquire(new Ticket(t, 'd'))).toBe('queued');
    expect(t.queued).toBe(2);
  });

  it('a cancelled waiter is never granted', () => {
    const t = withPods(1, 0);
    const a = new Ticket(t, 'a');
    const b = new Ticket(t, 'b');
    t.acquire(a);
    t.acquire(b);
    t.cancel(a);
    t.addPod('p', upstream(8000));
    expect(a.grants).toBe(0);
    expect(b.grants).toBe(1);
  });

  it('close() fails the waiters and rejects newcomers; holders finish normally', () => {
    const t = withPods(1, 1);
    const holder = new Ticket(t, 'h');
    const waiter = new Ticket(t, 'w');
    t.acquire(holder);
    t.acquire(waiter);
    t.close();
    expect(waiter.failed).toBe('closed');
    expect(waiter.state).toBe('released');
    expect(t.acquire(new Ticket(t, 'x'))).toBe('rejected');
    t.release(holder);
    expect(t.active).toBe(0);
  });

  it('a ticket is used once', () => {
    const t = withPods(1, 1);
    const k = new Ticket(t, 'k');
    t.acquire(k);
    expect(() => t.acquire(k)).toThrow(/already used/);
  });

  it.each([0, 1, 2, 5])('keeps its invariant under random churn (cc=%i)', (cc) => {
    // Seeded LCG so a failure replays.
    let seed = 12345 + cc;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const t = new RevisionThrottler({ containerConcurrency: cc, rng: rand, maxBuffered: 50 });
    const holding: Ticket[] = [];
    const queued = new Set<Ticket>();
    let podSeq = 0;
    let n = 0;
    const mk = (): Ticket => {
      const k = new Ticket(t, String(n++));
      k.onThrottleGrant = () => {
        queued.delete(k);
        holding.push(k);
      };
      return k;
    };
    for (let step = 0; step < 3000; step++) {
      const r = rand();
      if (r < 0.45) {
        const k = mk();
        const res = t.acquire(k);
        if (res === 'granted') holding.push(k);
        else if (res === 'queued') queued.add(k);
      } else if (r < 0.8 && holding.length > 0) {
        const i = Math.floor(rand() * holding.length);
        const [k] = holding.splice(i, 1);
        t.release(k as Ticket);
      } else if (r < 0.85 && queued.size > 0) {
        const k = [...queued][0] as Ticket;
        queued.delete(k);
        t.cancel(k);
      } else if (r < 0.93 && t.readyPods < 6) {
        t.addPod(`p${String(podSeq++)}`, upstream(9000 + podSeq));
      } else if (t.readyPods > 0) {
        const pods = t.pods();
        t.removePod((pods[Math.floor(rand() * pods.length)] ?? pods[0])?.podId ?? '');
      }
      // The guarantees: nobody waits while an attached pod has a free slot; no pod is over its slots.
      const pods = t.pods();
      if (t.queued > 0) {
        if (cc === 0) expect(pods.length).toBe(0);
        else for (const p of pods) expect(p.inFlight).toBeGreaterThanOrEqual(cc);
      }
      if (cc > 0) for (const p of pods) expect(p.inFlight).toBeLessThanOrEqual(cc);
      expect(t.queued).toBe(queued.size);
      expect(t.active).toBe(holding.length);
    }
  });
});

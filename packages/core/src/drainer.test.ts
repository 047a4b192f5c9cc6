import { afterEach, describe, expect, it, vi } from 'vitest';
import { Drainer, type DrainerClock, type DrainerTimer } from './drainer.js';

/** A manual clock, like Knative's mockTimer: counts arms, refreshes and clears; fires only on `advance`. */
class FakeTimer implements DrainerTimer {
  deadline: number;
  refreshes = 0;
  cleared = false;
  fired = false;
  constructor(
    readonly clock: FakeClock,
    readonly callback: () => void,
    readonly ms: number,
  ) {
    this.deadline = clock.now + ms;
  }
  refresh(): this {
    this.refreshes++;
    this.deadline = this.clock.now + this.ms;
    return this;
  }
}

class FakeClock implements DrainerClock {
  now = 0;
  timers: FakeTimer[] = [];
  setTimeout(callback: () => void, ms: number): FakeTimer {
    const t = new FakeTimer(this, callback, ms);
    this.timers.push(t);
    return t;
  }
  clearTimeout(t: unknown): void {
    if (t instanceof FakeTimer) t.cleared = true;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const t of this.timers) {
      if (!t.cleared && !t.fired && t.deadline <= this.now) {
        t.fired = true;
        t.callback();
      }
    }
  }
}

/** Settle microtasks so resolved promises run their callbacks. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(p: Promise<void>): { done: boolean } {
  const s = { done: false };
  void p.then(() => {
    s.done = true;
  });
  return s;
}

const QUIET = 100;
const EPS = 1;

describe('Drainer (Knative drain_test.go)', () => {
  it('TestDrainMechanics: touches re-arm, multiple drains share one wait, a late drain returns at once', async () => {
    const clock = new FakeClock();
    const d = new Drainer({ quietPeriodMs: QUIET, clock });

    // Before drain: touch is a no-op and nothing is armed.
    d.touch();
    d.touch();
    expect(d.draining).toBe(false);
    expect(clock.timers).toHaveLength(0);

    const first = d.drain();
    const s0 = track(first);
    expect(d.draining).toBe(true);
    expect(d.state).toBe('draining');
    expect(clock.timers).toHaveLength(1);
    const timer = clock.timers[0]!;
    expect(timer.ms).toBe(QUIET);

    clock.advance(QUIET - EPS);
    d.touch(); // a request: re-arms
    expect(timer.refreshes).toBe(1);

    for (let i = 0; i < 3; i++) {
      clock.advance(QUIET - EPS);
      await flush();
      expect(s0.done).toBe(false);
      if (i < 2) {
        d.touch();
        expect(timer.refreshes).toBe(2 + i);
      }
    }
    // Probes do not touch: draining is only observed.
    expect(d.draining).toBe(true);

    const p1 = d.drain();
    const p2 = d.drain();
    expect(p1).toBe(first);
    expect(p2).toBe(first);
    await flush();
    expect(s0.done).toBe(false);

    clock.advance(EPS);
    await flush();
    expect(s0.done).toBe(true);
    expect(d.state).toBe('drained');
    expect(d.draining).toBe(true); // stays true after completion, as in Go

    // After completion: touch does nothing, drain resolves immediately without arming a new timer.
    d.touch();
    expect(timer.refreshes).toBe(3);
    const late = track(d.drain());
    await flush();
    expect(late.done).toBe(true);
    expect(clock.timers).toHaveLength(1);
  });

  it('TestReset: reset unblocks every drain caller; a later drain waits the full quiet period again', async () => {
    const clock = new FakeClock();
    const d = new Drainer({ quietPeriodMs: 5000, clock });
    const a = track(d.drain());
    const b = track(d.drain());
    clock.advance(50);
    d.reset();
    await flush();
    expect(a.done && b.done).toBe(true);
    expect(clock.timers[0]!.cleared).toBe(true);
    expect(d.draining).toBe(false);
    expect(d.state).toBe('idle');

    d.reset(); // again: a no-op

    const c = track(d.drain());
    expect(clock.timers).toHaveLength(2);
    clock.advance(4999);
    await flush();
    expect(c.done).toBe(false);
    clock.advance(1);
    await flush();
    expect(c.done).toBe(true);

    d.reset(); // after a completed drain
    expect(d.draining).toBe(false);
  });

  it('TestResetWithActiveRequests: touches after reset do nothing', () => {
    const clock = new FakeClock();
    const d = new Drainer({ quietPeriodMs: 5000, clock });
    void d.drain();
    d.touch();
    d.reset();
    d.touch();
    d.touch();
    expect(clock.timers[0]!.refreshes).toBe(1);
  });
});

describe('Drainer (kdp)', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('rejects quietPeriodMs %s', (ms) => {
    expect(() => new Drainer({ quietPeriodMs: ms, clock: new FakeClock() })).toThrow(/quietPeriodMs/);
  });

  describe('with Node timers (vitest fake timers)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('works with globalThis as the clock: refresh() postpones, completion resolves', async () => {
      vi.useFakeTimers();
      const d = new Drainer({ quietPeriodMs: 30_000, clock: globalThis });
      const s = track(d.drain());
      await vi.advanceTimersByTimeAsync(20_000);
      d.touch();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(s.done).toBe(false);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(s.done).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('reset clears the pending Node timer', () => {
      vi.useFakeTimers();
      const d = new Drainer({ quietPeriodMs: 30_000, clock: globalThis });
      void d.drain();
      expect(vi.getTimerCount()).toBe(1);
      d.reset();
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

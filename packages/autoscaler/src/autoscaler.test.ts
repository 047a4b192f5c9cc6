import { describe, expect, it } from 'vitest';
import { EMPTY_STAT, type Stat } from '@kdp/core';
import { Autoscaler, type ScaleInfo } from './autoscaler.js';
import { AutoscalingValidationError, ScrapeError } from './errors.js';
import type { StatsScraper } from './scraper.js';

const K = 'autoscaling.knative.dev/';
const REV = 'default/hello-00001';
const T0 = 1_700_000_000_000;

interface Event {
  readonly atS: number;
  readonly desired: number;
  readonly activatorInPath: boolean;
}

/**
 * A revision's world: a clock, ready pods that follow the desired scale after `startupS` seconds, and a scraper
 * that reports `load` concurrency spread over the ready pods (real zeros while pods exist, nothing without pods).
 */
function world(opts: { annotations?: Record<string, string>; containerConcurrency?: number; startupS?: number } = {}) {
  let now = T0;
  let ready = 0;
  let load = 0;
  let scrapeError: Error | null = null;
  let scrapes = 0;
  const pending: { atMs: number; ready: number }[] = [];
  const events: Event[] = [];
  const scraper: StatsScraper = {
    scrape: () => {
      scrapes++;
      if (scrapeError !== null) return Promise.reject(scrapeError);
      if (ready === 0) return Promise.resolve(null);
      return Promise.resolve<Stat>({ ...EMPTY_STAT, podName: 'service-scraper', averageConcurrentRequests: load, requestCount: load });
    },
  };
  const as = new Autoscaler({
    clock: { now: () => now },
    scraper,
    readyPods: () => ready,
    onDesiredScale: (key: string, desired: number, info: ScaleInfo) => {
      expect(key).toBe(REV);
      events.push({ atS: (now - T0) / 1000, desired, activatorInPath: info.activatorInPath });
      // The runtime starts or stops pods; new ones become ready after the startup time.
      if (desired < ready) ready = desired;
      else pending.push({ atMs: now + (opts.startupS ?? 1) * 1000, ready: desired });
    },
  });
  as.upsertRevision(REV, {
    annotations: opts.annotations ?? {},
    ...(opts.containerConcurrency === undefined ? {} : { containerConcurrency: opts.containerConcurrency }),
  });
  return {
    as,
    events,
    get scrapes() {
      return scrapes;
    },
    setLoad(l: number) {
      load = l;
    },
    failScrapes(err: Error | null) {
      scrapeError = err;
    },
    nowS: () => (now - T0) / 1000,
    /** Advances second by second to `untilS`, ticking each second. */
    async runUntil(untilS: number) {
      while (now < T0 + untilS * 1000) {
        now += 1000;
        for (const p of pending.splice(0)) {
          if (p.atMs <= now) ready = p.ready;
          else pending.push(p);
        }
        await as.tick(now);
      }
    },
  };
}

describe('Autoscaler: scale to zero (injected clock)', () => {
  it('TBC 0: traffic → silence → Inactive after the stable window → 0 after the grace period', async () => {
    const w = world({ annotations: { [`${K}target-burst-capacity`]: '0' } });
    expect(w.events).toEqual([{ atS: 0, desired: 1, activatorInPath: true }]);
    w.setLoad(5);
    await w.runUntil(60);
    // The pod became ready: served directly (TBC 0 keeps the activator out while pods exist).
    expect(w.events).toEqual([
      { atS: 0, desired: 1, activatorInPath: true },
      { atS: 1, desired: 1, activatorInPath: false },
    ]);
    w.setLoad(0); // silence: the scraper now reports real zeros
    await w.runUntil(200);
    const inactive = w.events[2];
    const zero = w.events[3];
    expect(w.events).toHaveLength(4);
    // The stable average reaches 0 once the last loaded second (60) leaves the 60 s window; the revision has been
    // active for longer than a window, so it goes Inactive and the activator takes the traffic.
    expect(inactive).toMatchObject({ desired: 1, activatorInPath: true });
    expect(inactive?.atS).toBeGreaterThanOrEqual(120);
    expect(inactive?.atS).toBeLessThanOrEqual(122);
    // After the 30 s grace period with the activator in the path, the last pod goes.
    expect(zero).toMatchObject({ desired: 0, activatorInPath: true });
    expect((zero?.atS ?? 0) - (inactive?.atS ?? 0)).toBeGreaterThanOrEqual(30);
    expect((zero?.atS ?? 0) - (inactive?.atS ?? 0)).toBeLessThanOrEqual(32);
    expect(w.as.status(REV)).toMatchObject({ desiredScale: 0, activity: 'inactive', activatorInPath: true });
  });

  it('default TBC: the activator is already in the path, so zero follows Inactive at once (Knative fast path)', async () => {
    const w = world();
    w.setLoad(5);
    await w.runUntil(60);
    w.setLoad(0);
    await w.runUntil(200);
    // EBC = 1 × 100 − 211 − load < 0 throughout: the activator never leaves the path.
    expect(w.events.every((e) => e.activatorInPath)).toBe(true);
    const zero = w.events.find((e) => e.desired === 0);
    expect(zero?.atS).toBeGreaterThanOrEqual(120);
    expect(zero?.atS).toBeLessThanOrEqual(124);
  });

  it('kdp.dev/scale-to-zero-grace-period shortens the grace period', async () => {
    const w = world({ annotations: { [`${K}target-burst-capacity`]: '0', 'kdp.dev/scale-to-zero-grace-period': '4s', [`${K}window`]: '6s' } });
    w.setLoad(5);
    await w.runUntil(10);
    w.setLoad(0);
    await w.runUntil(40);
    const zero = w.events.find((e) => e.desired === 0);
    // 6 s window + 4 s grace (+ tick granularity) after the load stopped at 10 s.
    expect(zero?.atS).toBeGreaterThanOrEqual(20);
    expect(zero?.atS).toBeLessThanOrEqual(24);
  });

  it('a new revision without traffic stays at its initial scale for a stable window, then goes to zero', async () => {
    const w = world({ annotations: { [`${K}target-burst-capacity`]: '0' } });
    await w.runUntil(150);
    const zero = w.events.find((e) => e.desired === 0);
    // Active from 1 s; desired 0 from the first decision; Inactive once active for 60 s; then the 30 s grace.
    expect(zero?.atS).toBeGreaterThanOrEqual(91);
    expect(zero?.atS).toBeLessThanOrEqual(95);
  });

  it('silence is not zero: failing scrapes keep the last average, no scale-down', async () => {
    const w = world({ annotations: { [`${K}target-burst-capacity`]: '0' } });
    w.setLoad(150); // ceil(150 / 70) = 3 pods
    await w.runUntil(20);
    expect(w.as.status(REV)?.desiredScale).toBe(3);
    w.failScrapes(new ScrapeError('timeout', 'timed out'));
    await w.runUntil(70);
    expect(w.as.status(REV)?.desiredScale).toBe(3);
    // More than a window without data: "no data", the decider is skipped and the scale stays.
    await w.runUntil(200);
    expect(w.as.status(REV)?.desiredScale).toBe(3);
  });
});

describe('Autoscaler: scale from zero', () => {
  async function atZero() {
    const w = world();
    await w.runUntil(150);
    expect(w.as.status(REV)?.desiredScale).toBe(0);
    return w;
  }

  it('poke decides at once: desired ≥ 1 before poke returns, activator in the path', async () => {
    const w = await atZero();
    const before = w.events.length;
    w.as.poke(REV);
    expect(w.events.slice(before)).toEqual([{ atS: w.nowS(), desired: 1, activatorInPath: true }]);
  });

  it('poke honours activation-scale', async () => {
    const w = world({ annotations: { [`${K}activation-scale`]: '3' } });
    await w.runUntil(150);
    expect(w.as.status(REV)?.desiredScale).toBe(0);
    w.as.poke(REV);
    expect(w.events.at(-1)).toMatchObject({ desired: 3, activatorInPath: true });
  });

  it('an activator report with load at zero also decides at once (Knative Poke on every stat)', async () => {
    const w = await atZero();
    w.as.reportFromActivator({ revisionKey: REV, concurrency: 150, requestCount: 150 });
    expect(w.events.at(-1)).toMatchObject({ desired: 3, activatorInPath: true });
  });

  it('a report without load at zero does not decide early', async () => {
    const w = await atZero();
    const before = w.events.length;
    w.as.reportFromActivator({ revisionKey: REV, concurrency: 0, requestCount: 0 });
    expect(w.events).toHaveLength(before);
  });

  it('after a poke the pod starts, serves, and the revision becomes Active', async () => {
    const w = await atZero();
    w.as.poke(REV);
    w.setLoad(1);
    await w.runUntil(w.nowS() + 4);
    expect(w.as.status(REV)).toMatchObject({ activity: 'active', desiredScale: 1 });
  });

  it('poke on an unknown revision is ignored', () => {
    const w = world();
    expect(() => {
      w.as.poke('default/nope');
    }).not.toThrow();
  });
});

describe('Autoscaler: activator-only revisions (TBC −1)', () => {
  it('does not scrape; decides from activator reports; an empty window reads 0', async () => {
    const w = world({ annotations: { [`${K}target-burst-capacity`]: '-1' } });
    await w.runUntil(5);
    expect(w.scrapes).toBe(0);
    for (let i = 0; i < 10; i++) {
      w.as.reportFromActivator({ revisionKey: REV, concurrency: 200, requestCount: 200 });
      await w.runUntil(w.nowS() + 1);
    }
    expect(w.as.status(REV)).toMatchObject({ desiredScale: 3, excessBurstCapacity: -1, activatorInPath: true });
    // The activator stops reporting: silence; after a window the average is 0 and the revision can go to zero.
    await w.runUntil(200);
    expect(w.as.status(REV)?.desiredScale).toBe(0);
  });
});

describe('Autoscaler: settings', () => {
  it('containerConcurrency is the default target (× 70 %)', async () => {
    const w = world({ containerConcurrency: 10, annotations: { [`${K}target-burst-capacity`]: '0' } });
    w.setLoad(21); // 21 / 7 = 3 pods
    await w.runUntil(10);
    expect(w.as.status(REV)).toMatchObject({ desiredScale: 3 });
    expect(w.as.status(REV)?.settings.targetValue).toBeCloseTo(7, 10);
  });

  it('min-scale keeps pods through silence; max-scale caps a surge', async () => {
    const w = world({ annotations: { [`${K}min-scale`]: '2', [`${K}max-scale`]: '4', [`${K}target-burst-capacity`]: '0' } });
    expect(w.events[0]).toMatchObject({ desired: 2 });
    w.setLoad(10_000);
    await w.runUntil(10);
    expect(w.as.status(REV)?.desiredScale).toBe(4);
    w.setLoad(0);
    await w.runUntil(300);
    expect(w.as.status(REV)?.desiredScale).toBe(2);
  });

  it('rejects invalid annotations with Knative’s messages and keeps the old settings', () => {
    const w = world();
    expect(() => w.as.upsertRevision(REV, { annotations: { [`${K}window`]: '1s' } })).toThrow(AutoscalingValidationError);
    expect(w.as.status(REV)?.settings.stableWindowMs).toBe(60_000);
  });

  it('updating settings keeps the collected data', async () => {
    const w = world({ annotations: { [`${K}target-burst-capacity`]: '0' } });
    w.setLoad(140);
    await w.runUntil(10);
    expect(w.as.status(REV)?.desiredScale).toBe(2);
    w.as.upsertRevision(REV, { annotations: { [`${K}target-burst-capacity`]: '0', [`${K}target`]: '20' } });
    await w.runUntil(12);
    // 140 / (20 × 0.7) = 10 pods at once, from the windows already filled.
    expect(w.as.status(REV)?.desiredScale).toBe(10);
  });

  it('removeRevision forgets it', async () => {
    const w = world();
    w.as.removeRevision(REV);
    expect(w.as.status(REV)).toBeUndefined();
    await w.runUntil(3);
    expect(w.scrapes).toBe(0);
  });

  it('rejects an invalid global config at construction', () => {
    expect(
      () =>
        new Autoscaler({
          clock: { now: () => 0 },
          readyPods: () => 0,
          onDesiredScale: () => {},
          config: { stableWindowMs: 1000 },
        }),
    ).toThrow('stable-window = 1s, must be in [6s; 1h0m0s] range');
  });
});

describe('Autoscaler.start/stop with an injected timer', () => {
  it('ticks through the clock’s setTimer and stops', async () => {
    const timers: (() => void)[] = [];
    let scrapes = 0;
    const as = new Autoscaler({
      clock: {
        now: () => T0,
        setTimer: (fn) => {
          timers.push(fn);
          return () => {
            const i = timers.indexOf(fn);
            if (i >= 0) timers.splice(i, 1);
          };
        },
      },
      scraper: {
        scrape: () => {
          scrapes++;
          return Promise.resolve(null);
        },
      },
      readyPods: () => 0,
      onDesiredScale: () => {},
    });
    as.upsertRevision(REV);
    as.start();
    expect(timers).toHaveLength(1);
    timers.shift()?.();
    await Promise.resolve();
    expect(scrapes).toBe(1);
    expect(timers).toHaveLength(1); // rescheduled
    as.stop();
    expect(timers).toHaveLength(0);
  });
});

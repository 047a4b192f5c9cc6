// Window math, from Knative's serving: pkg/autoscaler/aggregation/bucketing_test.go.
import { describe, expect, it } from 'vitest';
import { TimedBuckets, WeightedBuckets, smoothingCoefficient } from './metric-windows.js';

// A start that is not on a second boundary, as Knative's tests use time.Now().
const NOW = 1_700_000_000_250;
const s = (n: number): number => n * 1000;

function buckets(b: TimedBuckets, nowMs: number): Map<number, number> {
  const out = new Map<number, number>();
  b.forEachBucket(nowMs, (t, v) => {
    if (v > 0) out.set(t, v);
  });
  return out;
}

describe('TimedBuckets', () => {
  it('TestTimedFloat64BucketsSimple: values in the same bucket add up (granularity 1 s)', () => {
    const trunc1 = Math.floor(NOW / 1000) * 1000;
    const b = new TimedBuckets(s(120));
    expect(b.isEmpty(trunc1)).toBe(true);
    b.record(trunc1, 1); // activator poke
    b.record(trunc1 + 100, 10); // scrape in the same second
    b.record(trunc1 + s(1), 1);
    b.record(trunc1 + s(3), 1);
    expect(buckets(b, trunc1 + s(60))).toEqual(
      new Map([
        [trunc1, 11],
        [trunc1 + s(1), 1],
        [trunc1 + s(3), 1],
      ]),
    );
  });

  it('TestTimedFloat64BucketsSimple: granularity 5 s', () => {
    const trunc5 = Math.floor(NOW / 5000) * 5000;
    const b = new TimedBuckets(s(120), 5000);
    b.record(trunc5, 1);
    b.record(trunc5 + s(3), 11);
    b.record(trunc5 + s(6), 1);
    expect(buckets(b, trunc5 + s(60))).toEqual(
      new Map([
        [trunc5, 12],
        [trunc5 + s(5), 1],
      ]),
    );
  });

  it('TestTimedFloat64BucketsManyReps and …WithNonMonotonicalOrder: every value lands once', () => {
    for (const order of [
      [1, 2, 3, 4, 5],
      [0, 3, 2, 1, 4],
    ]) {
      const b = new TimedBuckets(s(60));
      let end = NOW;
      order.forEach((d, p) => {
        end = NOW + s(d);
        for (let t = 0; t < 5; t++) b.record(end, p + t);
      });
      let sum = 0;
      b.forEachBucket(NOW + s(Math.max(...order)), (_t, v) => (sum += v));
      expect(sum).toBe(100);
    }
  });

  it('TestTimedFloat64BucketsWindowAverage', () => {
    let now = NOW;
    const b = new TimedBuckets(s(5));
    // firstWrite is honoured: one bucket of 1 averages to 1, not 0.2.
    b.record(now, 1);
    expect(b.windowAverage(now)).toBe(1);
    for (let i = 1; i < 5; i++) b.record(now + s(i), i + 1);
    expect(b.windowAverage(now + s(4))).toBe(15 / 5);
    // `now` lagging behind the last write.
    expect(b.windowAverage(now + 3600)).toBe(15 / 5);
    // A short hole: the silent seconds are not zeros; the oldest buckets leave the window.
    expect(b.windowAverage(now + s(6))).toBe((15 - 1 - 2) / (5 - 2));
    // A hole of a whole window: 0.
    expect(b.windowAverage(now + s(10))).toBe(0);
    // A write after a hole.
    b.record(now + s(6), 91);
    expect(b.windowAverage(now + s(6))).toBe((15 - 1 - 2 + 91) / 5);
    // Much later: a fresh start.
    now += s(60);
    b.record(now, 1984);
    expect(b.windowAverage(now)).toBe(1984);
    // An earlier time within the window.
    b.record(now - s(3), 4);
    expect(b.windowAverage(now)).toBe((4 + 1984) / 4);
    now += s(1);
    b.record(now, 5);
    expect(b.windowAverage(now)).toBe((4 + 1984 + 5) / 5);
    b.record(now - s(3), 10);
    expect(b.windowAverage(now)).toBe((4 + 10 + 1984 + 5) / 5);
    // Too early: ignored.
    b.record(now - s(6), 10);
    expect(b.windowAverage(now)).toBe((4 + 10 + 1984 + 5) / 5);
    // Exactly a window before the last write: also ignored.
    b.record(now - s(5), 10);
    expect(b.windowAverage(now)).toBe((4 + 10 + 1984 + 5) / 5);
    // No data for exactly a window: the buckets reset.
    b.record(now + s(5), 10);
    expect(b.windowAverage(now + s(5))).toBe(10);
  });

  it('TestDescendingRecord: writes in descending time order', () => {
    const b = new TimedBuckets(s(5));
    for (let i = 8; i >= 0; i--) b.record(NOW + s(i), 5);
    expect(b.windowAverage(NOW + s(5))).toBe(5);
  });

  it('TestTimedFloat64BucketsHoles: buckets skipped by a write are cleared', () => {
    const b = new TimedBuckets(s(5));
    for (let i = 0; i < 5; i++) b.record(NOW + s(i), i + 1);
    let sum = 0;
    b.forEachBucket(NOW + s(4), (_t, v) => (sum += v));
    expect(sum).toBe(15);
    expect(b.windowAverage(NOW + s(4))).toBe(3);
    b.record(NOW + s(8), 2);
    sum = 0;
    b.forEachBucket(NOW + s(8), (_t, v) => (sum += v));
    expect(sum).toBe(7);
  });

  it('isEmpty: only after more than a whole window without writes', () => {
    const b = new TimedBuckets(s(6));
    b.record(NOW, 0);
    expect(b.isEmpty(NOW + s(6))).toBe(false);
    expect(b.isEmpty(NOW + s(7))).toBe(true);
  });

  it('silence is not zero: a steady load keeps its average while reports stop, then drops to 0 after a window', () => {
    const b = new TimedBuckets(s(60));
    for (let i = 0; i < 60; i++) b.record(NOW + s(i), 10);
    expect(b.windowAverage(NOW + s(59))).toBe(10);
    // 30 s without any record: still the average of what was seen.
    expect(b.windowAverage(NOW + s(89))).toBe(10);
    // Reported zeros, on the other hand, pull it down.
    const z = new TimedBuckets(s(60));
    for (let i = 0; i < 60; i++) z.record(NOW + s(i), 10);
    for (let i = 60; i < 90; i++) z.record(NOW + s(i), 0);
    expect(z.windowAverage(NOW + s(89))).toBe(5);
    expect(b.windowAverage(NOW + s(59 + 60))).toBe(0);
  });

  it('rounds to 6 decimals', () => {
    const b = new TimedBuckets(s(3));
    b.record(NOW, 1);
    b.record(NOW + s(1), 0);
    b.record(NOW + s(2), 0);
    expect(b.windowAverage(NOW + s(2))).toBe(0.333333);
  });

  it('resizeWindow keeps the newest buckets', () => {
    const b = new TimedBuckets(s(5));
    for (let i = 0; i < 5; i++) b.record(NOW + s(i), i + 1);
    b.resizeWindow(s(3), NOW + s(4));
    expect(b.size).toBe(3);
    expect(b.windowAverage(NOW + s(4))).toBe((3 + 4 + 5) / 3);
    b.resizeWindow(s(10), NOW + s(4));
    expect(b.size).toBe(10);
    let sum = 0;
    b.forEachBucket(NOW + s(4), (_t, v) => (sum += v));
    expect(sum).toBe(12);
  });
});

describe('WeightedBuckets', () => {
  it.each([
    [100, 0.2],
    [60, 0.2],
    [40, 0.20567],
    [6, 0.78456],
  ])('TestComputeDecayMultiplier: %i buckets → %f', (nb, want) => {
    expect(smoothingCoefficient(nb)).toBeCloseTo(want, 4);
  });

  it('TestTimedFloat64BucketsWeightedAverage', () => {
    const b = new WeightedBuckets(s(5));
    const m = b.smoothingCoefficient;
    b.record(NOW, 2);
    let want = 2 * m;
    expect(b.windowAverage(NOW)).toBe(want);
    // A second later without writes: decayed once.
    want *= 1 - m;
    expect(b.windowAverage(NOW + s(1))).toBe(want);
    b.record(NOW + s(1), 2);
    want += 2 * m;
    expect(b.windowAverage(NOW + s(1))).toBeCloseTo(want, 12);
    for (let i = 0; i < 5; i++) b.record(NOW + s(2 + i), i + 2);
    want = 6 * m + 5 * m * (1 - m) + 4 * m * (1 - m) ** 2 + 3 * m * (1 - m) ** 3 + 2 * m * (1 - m) ** 4;
    expect(b.windowAverage(NOW + s(6))).toBeCloseTo(want, 12);
    expect(b.windowAverage(NOW + s(16))).toBe(0);
  });

  it('TestWeightedFloat64BucketsResizeWindow', () => {
    const b = new WeightedBuckets(s(5));
    for (let i = 0; i <= 5; i++) b.record(NOW + s(i), i + 1);
    const now = NOW + s(5);
    let sum = 0;
    b.forEachBucket(now, (_t, v) => (sum += v));
    expect(sum).toBe(2 + 3 + 4 + 5 + 6);
    expect(Math.round(b.windowAverage(now) * 1000) / 1000).toBe(5.812);
    b.resizeWindow(s(10), now);
    expect(b.size).toBe(10);
    expect(b.window).toBe(s(10));
    expect(b.smoothingCoefficient).toBeCloseTo(smoothingCoefficient(10), 12);
  });
});

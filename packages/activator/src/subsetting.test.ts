import { describe, expect, it } from 'vitest';
import { ALL_PODS, assignSlice, inferSlot } from './subsetting.js';

const pods = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.0.0.${String(i + 1)}:8012`).sort();

describe('inferSlot', () => {
  it.each([
    [['10.0.0.2', '10.0.0.10', '10.0.0.1'], '10.0.0.2', { index: 2, count: 3 }], // string sort: .1 < .10 < .2
    [['10.0.0.2', '10.0.0.10'], '10.0.0.10', { index: 0, count: 2 }],
    [['10.0.0.2'], '10.0.0.3', ALL_PODS],
    [[], '10.0.0.3', ALL_PODS],
  ])('%j as %s → %j', (ips, self, want) => {
    expect(inferSlot(ips, self)).toEqual(want);
  });
});

describe('assignSlice (Knative throttler_test.go cases)', () => {
  it('20 pods over 3 activators: 6 + 1 remnant for activators 0 and 1, 6 for activator 2, every pod once', () => {
    const all = pods(20);
    const slices = [0, 1, 2].map((i) => assignSlice(all, { index: i, count: 3 }));
    expect(slices.map((s) => s.length)).toEqual([7, 7, 6]);
    expect(slices.flat().sort()).toEqual(all);
    expect(slices[0]).toEqual([...all.slice(0, 6), all[18]]);
    expect(slices[1]).toEqual([...all.slice(6, 12), all[19]]);
  });

  it('more activators than pods: activator i gets pod i mod P', () => {
    const all = pods(2);
    expect([0, 1, 2, 3].map((i) => assignSlice(all, { index: i, count: 4 }))).toEqual([[all[0]], [all[1]], [all[0]], [all[1]]]);
  });

  it.each([
    [ALL_PODS, 5],
    [{ index: 0, count: 1 }, 5],
    [{ index: 1, count: 2 }, 1],
  ])('%j over %i pods takes all of them', (slot, n) => {
    expect(assignSlice(pods(n), slot)).toEqual(pods(n));
  });

  it('capacity split of Knative TestThrottlerUpdateCapacity: 3 pods, 2 activators, cc 10 → 20 and 10', () => {
    const all = pods(3);
    expect([0, 1].map((i) => assignSlice(all, { index: i, count: 2 }).length * 10)).toEqual([20, 10]);
    const five = pods(5);
    expect([0, 1].map((i) => assignSlice(five, { index: i, count: 2 }).length)).toEqual([3, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { SplitPicker } from './split.js';
import { buildSplitSchedule } from './split-schedule.js';

function tally(picker: SplitPicker, n: number, picks: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (let k = 0; k < picks; k++) c[picker.pick()]!++;
  return c;
}

describe('SplitPicker', () => {
  it.each([
    { weights: [90, 10] },
    { weights: [50, 50] },
    { weights: [1, 99] },
    { weights: [33, 33, 34] },
    { weights: [1, 1, 98] },
    { weights: [100] },
  ])('$weights: 100 requests give exactly the percents, from any starting point', ({ weights }) => {
    const picker = new SplitPicker(weights);
    for (let round = 0; round < 3; round++) expect(tally(picker, weights.length, 100)).toEqual(weights);
    tally(picker, weights.length, 17); // start somewhere else in the period
    expect(tally(picker, weights.length, 100)).toEqual(weights);
  });

  it('90/10: every run of 10 consecutive picks holds exactly one pick of the 10 %', () => {
    const picker = new SplitPicker([90, 10]);
    const seq = Array.from({ length: 300 }, () => picker.pick());
    for (let a = 0; a + 10 <= seq.length; a++) expect(seq.slice(a, a + 10).filter((x) => x === 1)).toHaveLength(1);
  });

  it('1/99: the 1 % target is picked exactly once in every 100, never twice within 100', () => {
    const picker = new SplitPicker([1, 99]);
    const seq = Array.from({ length: 500 }, () => picker.pick());
    const ones = seq.flatMap((x, i) => (x === 0 ? [i] : []));
    expect(ones).toHaveLength(5);
    for (let i = 1; i < ones.length; i++) expect(ones[i]! - ones[i - 1]!).toBe(100);
  });

  it('repeats with its period and reports its window error', () => {
    const picker = new SplitPicker([60, 40]);
    expect(picker.period).toBe(5);
    expect(picker.maxWindowError).toBeCloseTo(0.8, 10);
    const first = Array.from({ length: 5 }, () => picker.pick());
    const second = Array.from({ length: 5 }, () => picker.pick());
    expect(second).toEqual(first);
  });

  it('accepts a prebuilt schedule and refuses one for another number of targets', () => {
    const schedule = buildSplitSchedule([90, 10]);
    expect(new SplitPicker([90, 10], schedule).period).toBe(10);
    expect(() => new SplitPicker([50, 25, 25], schedule)).toThrow('schedule has 2 targets, weights have 3');
  });
});

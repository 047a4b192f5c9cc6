// serving: pkg/autoscaler/aggregation/max/window_test.go and timewindow_test.go, in spirit.
import { describe, expect, it } from 'vitest';
import { currentMax, newMaxTimeWindow, recordMax, type MaxTimeWindow } from './max-time-window.js';

function replay(w0: MaxTimeWindow, records: readonly (readonly [number, number])[]): number[] {
  let w = w0;
  return records.map(([atMs, v]) => {
    w = recordMax(w, atMs, v);
    return currentMax(w);
  });
}

describe('max time window', () => {
  it('is 0 before any record', () => {
    expect(currentMax(newMaxTimeWindow(10_000, 1000))).toBe(0);
  });

  it.each([
    { label: 'ascending values: the newest is the max', records: [[0, 1], [1000, 2], [2000, 3]], want: [1, 2, 3] },
    { label: 'descending values: the oldest stays until it leaves', records: [[0, 5], [1000, 3], [2000, 1], [5000, 1], [6000, 1]], want: [5, 5, 5, 3, 1] },
    { label: 'same bucket: the larger wins', records: [[0, 2], [500, 7], [900, 1]], want: [2, 7, 7] },
    { label: 'a long gap empties the window', records: [[0, 9], [100_000, 2]], want: [9, 2] },
  ] as const)('$label', ({ records, want }) => {
    expect(replay(newMaxTimeWindow(5000, 1000), records)).toEqual(want);
  });

  it('keeps at most one entry per bucket and never more than the window holds', () => {
    let w = newMaxTimeWindow(4000, 2000);
    for (let i = 0; i < 100; i++) w = recordMax(w, i * 1000, 100 - i);
    expect(w.maxima.length).toBeLessThanOrEqual(2);
    // Buckets 48 (96 s, 97 s: values 4, 3) and 49 (98 s, 99 s: values 2, 1) are in the window.
    expect(currentMax(w)).toBe(4);
  });
});

import { describe, expect, it } from 'vitest';
import { LiveStats, quantileMs } from './live-stats.js';

const BOUNDS = [0.005, 0.01, 0.05, 0.1, 1];

describe('live numbers from histogram copies', () => {
  it.each([
    [0.5, [10, 0, 0, 0, 0, 0], 10, 2.5],
    [0.5, [0, 10, 0, 0, 0, 0], 10, 7.5],
    [0.99, [90, 0, 10, 0, 0, 0], 100, 46],
    [0.99, [0, 0, 0, 0, 0, 5], 5, 1000],
    [0.5, [0, 0, 0, 0, 0, 0], 0, null],
  ])('quantile %d of %j (n %d) = %j ms', (q, buckets, n, want) => {
    const got = quantileMs(q, buckets, n, BOUNDS);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 6);
  });

  it('reads rate and quantiles over the last minute only', () => {
    const ls = new LiveStats(BOUNDS, 60_000);
    ls.sample('r', { count: 0, buckets: [0, 0, 0, 0, 0, 0] }, 0);
    // 1000 fast requests in the first half minute, then 120 slow ones in the second.
    ls.sample('r', { count: 1000, buckets: [1000, 0, 0, 0, 0, 0] }, 30_000);
    const at60 = { count: 1120, buckets: [1000, 0, 0, 120, 0, 0] };
    expect(ls.numbers('r', at60, 60_000)).toMatchObject({ windowS: 60, rps: 1120 / 60 });
    ls.sample('r', at60, 60_000);
    // At 90 s the window starts at the 30 s copy: only the slow requests are in it.
    const n = ls.numbers('r', { count: 1120, buckets: [1000, 0, 0, 120, 0, 0] }, 90_000);
    expect(n?.windowS).toBe(60);
    expect(n?.rps).toBeCloseTo(2, 6);
    expect(n?.p50Ms).toBeCloseTo(75, 6);
    expect(ls.numbers('nope', at60, 0)).toBeNull();
  });
});

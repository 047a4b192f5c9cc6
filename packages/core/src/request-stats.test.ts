import { describe, expect, it } from 'vitest';
import { RequestStats, type RequestStatsReport } from './request-stats.js';

type Ev = readonly ['in' | 'out' | 'inP' | 'outP' | 'report', number];

function r(
  averageConcurrency: number,
  requestCount: number,
  averageProxiedConcurrency = 0,
  proxiedRequestCount = 0,
): RequestStatsReport {
  return { averageConcurrency, averageProxiedConcurrency, requestCount, proxiedRequestCount };
}

function run(events: readonly Ev[]): RequestStatsReport[] {
  const s = new RequestStats(0);
  const out: RequestStatsReport[] = [];
  for (const [kind, t] of events) {
    switch (kind) {
      case 'in':
        s.reqIn(t, false);
        break;
      case 'out':
        s.reqOut(t, false);
        break;
      case 'inP':
        s.reqIn(t, true);
        break;
      case 'outP':
        s.reqOut(t, true);
        break;
      case 'report':
        out.push(s.report(t));
        break;
    }
  }
  return out;
}

// knative/networking pkg/http/stats/request_test.go#TestRequestStats; times are ms from the window start.
// Expected values are compared exactly, as Go's cmp.Equal does.
describe('RequestStats (Knative TestRequestStats)', () => {
  it.each<[string, Ev[], RequestStatsReport[]]>([
    ['no requests', [['report', 1000]], [r(0, 0)]],
    ['1 request, entire time', [['in', 0], ['out', 1000], ['report', 1000]], [r(1, 1)]],
    ['1 request, half the time', [['in', 0], ['out', 3000], ['report', 6000]], [r(0.5, 1)]],
    ['very short request', [['in', 0], ['out', 1], ['report', 1000]], [r(1 / 1000, 1)]],
    [
      '3 requests, fill entire time',
      [['in', 0], ['out', 300], ['in', 300], ['out', 600], ['in', 600], ['out', 1000], ['report', 1000]],
      [r(1, 3)],
    ],
    ['interleaved requests', [['in', 0], ['in', 100], ['out', 600], ['out', 1000], ['report', 1000]], [r(1.5, 2)]],
    [
      'request across reporting',
      [['in', 0], ['report', 1000], ['out', 1500], ['report', 2000]],
      [r(1, 1), r(0.5, 0)],
    ],
    [
      'request across multiple reportings',
      [['in', 0], ['report', 1000], ['report', 2000], ['report', 3000], ['out', 3500], ['report', 4000]],
      [r(1, 1), r(1, 0), r(1, 0), r(0.5, 0)],
    ],
    ['1 request, proxied, entire time', [['inP', 0], ['outP', 1000], ['report', 1000]], [r(1, 1, 1, 1)]],
    ['1 request, proxied, half the time', [['inP', 0], ['outP', 500], ['report', 1000]], [r(0.5, 1, 0.5, 1)]],
    [
      '2 requests, proxied and non proxied',
      [['inP', 0], ['in', 0], ['outP', 500], ['out', 1000], ['report', 1000]],
      [r(1.5, 2, 0.5, 1)],
    ],
    ["ignore 'negative' requests", [['in', 500], ['in', 499], ['out', 1000], ['out', 999], ['report', 1000]], [r(1, 2)]],
  ])('%s', (_name, events, want) => {
    expect(run(events)).toStrictEqual(want);
  });
});

describe('RequestStats (kdp)', () => {
  it('starts the first window at the constructor time, not at 0', () => {
    const s = new RequestStats(10_000);
    s.reqIn(10_500, false);
    expect(s.report(11_000)).toStrictEqual(r(0.5, 1));
  });

  it('a report earlier than the last event closes the window without adding time', () => {
    const s = new RequestStats(0);
    s.reqIn(0, false);
    s.reqOut(1000, false);
    expect(s.report(900)).toStrictEqual(r(1, 1));
    expect(s.report(900)).toStrictEqual(r(0, 0));
  });

  it('ignores NaN timestamps instead of poisoning the averages', () => {
    const s = new RequestStats(0);
    s.reqIn(Number.NaN, false);
    s.reqOut(1000, false);
    // The arrival counts from the last good timestamp (0), so the window stays finite.
    expect(s.report(1000)).toStrictEqual(r(1, 1));
    expect(s.report(2000)).toStrictEqual(r(0, 0));
  });

  it('exposes the live concurrency', () => {
    const s = new RequestStats(0);
    s.reqIn(1, true);
    s.reqIn(2, false);
    expect(s.concurrency).toBe(2);
    s.reqOut(3, true);
    expect(s.concurrency).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { ConcurrencyReporter } from './reporter.js';
import type { ActivatorStat, AutoscalerSink } from './reporter.js';

function sink(): AutoscalerSink & { reports: [string, ActivatorStat][]; pokes: string[] } {
  const reports: [string, ActivatorStat][] = [];
  const pokes: string[] = [];
  return { reports, pokes, report: (k, s) => reports.push([k, s]), poke: (k) => pokes.push(k) };
}

describe('ConcurrencyReporter (Knative concurrency_reporter.go)', () => {
  it('reports time-weighted concurrency, buffered time included, and arrivals per period', () => {
    const s = sink();
    const r = new ConcurrencyReporter({ sink: s, clock: { now: () => 0 } });
    // Two requests: one for the whole second, one for the second half.
    const a = r.reqIn('ns/rev', 0);
    const b = r.reqIn('ns/rev', 500);
    r.reqOut(b, 1000);
    r.flush(1000);
    expect(s.reports).toEqual([['ns/rev', { concurrency: 1.5, requestCount: 2 }]]);
    r.reqOut(a, 1500);
    r.flush(2000);
    expect(s.reports[1]).toEqual(['ns/rev', { concurrency: 0.5, requestCount: 0 }]);
  });

  it('reports an idle revision once as zero, then forgets it (silence, not zeros)', () => {
    const s = sink();
    const r = new ConcurrencyReporter({ sink: s, clock: { now: () => 0 } });
    r.reqOut(r.reqIn('ns/rev', 0), 100);
    r.flush(1000);
    r.flush(2000);
    expect(r.tracked).toBe(0);
    r.flush(3000);
    expect(s.reports.map(([, st]) => st)).toEqual([
      { concurrency: 0.1, requestCount: 1 },
      { concurrency: 0, requestCount: 0 },
    ]);
  });

  it('keeps a revision with a request in flight even over a zero-average period', () => {
    const s = sink();
    const r = new ConcurrencyReporter({ sink: s, clock: { now: () => 0 } });
    r.reqIn('ns/rev', 1000); // arrives exactly at the period end: average 0, but in flight
    r.flush(1000);
    expect(r.tracked).toBe(1);
  });

  it('a poke stands for one request at concurrency 1: the next report subtracts it', () => {
    const s = sink();
    const r = new ConcurrencyReporter({ sink: s, clock: { now: () => 0 } });
    const stat = r.reqIn('ns/rev', 0);
    r.poke(stat);
    expect(s.pokes).toEqual(['ns/rev']);
    r.reqIn('ns/rev', 0);
    r.flush(1000);
    // Two requests in flight all second: 2 - 1 already sent with the poke; 2 arrivals - 1.
    expect(s.reports[0]).toEqual(['ns/rev', { concurrency: 1, requestCount: 1 }]);
    r.flush(2000);
    expect(s.reports[1]).toEqual(['ns/rev', { concurrency: 2, requestCount: 0 }]);
  });

  it('never reports below zero after a poke', () => {
    const s = sink();
    const r = new ConcurrencyReporter({ sink: s, clock: { now: () => 0 } });
    const stat = r.reqIn('ns/rev', 900);
    r.poke(stat);
    r.flush(1000);
    expect(s.reports[0]).toEqual(['ns/rev', { concurrency: 0, requestCount: 0 }]);
  });

  it('checks its interval', () => {
    expect(() => new ConcurrencyReporter({ sink: sink(), clock: { now: () => 0 }, intervalMs: 0 })).toThrow(/intervalMs/);
  });
});

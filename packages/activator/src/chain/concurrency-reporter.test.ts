import { describe, expect, it } from 'vitest';
import { ConcurrencyReporter } from '../reporter.js';
import type { ActivatorStat } from '../reporter.js';
import { concurrencyReporter } from './concurrency-reporter.js';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { testEntry } from './exchange.test-util.js';
import { ActivatorRequest } from './request.js';

describe('concurrencyReporter', () => {
  it('counts the request in, gives it its record, and counts it out after the stages below finished', () => {
    let now = 1000;
    const clock = { now: () => now };
    const reports: [string, ActivatorStat][] = [];
    const reporter = new ConcurrencyReporter({ sink: { report: (k, s) => reports.push([k, s]), poke: () => undefined }, clock });
    const next = new RecordingStage();
    const { entry } = testEntry();
    const ex = new RecordingExchange();
    concurrencyReporter(reporter, clock, next)(ex, entry);

    const p = ex.state as ActivatorRequest;
    expect(p).toBeInstanceOf(ActivatorRequest);
    expect(p.ex).toBe(ex);
    expect(p.entry).toBe(entry);
    expect(p.arrivedAtMs).toBe(1000);
    expect(next.served).toEqual([p]);
    expect(p.stat.refs).toBe(1);

    now = 1500;
    ex.end('complete', 200);
    expect(next.finished).toEqual([{ p, outcome: 'complete', status: 200, now: 1500 }]);
    expect(p.stat.refs).toBe(0);
    // In for half of the one-second window: average concurrency 0.5, one request.
    reporter.flush(2000);
    expect(reports).toEqual([['ns/rev', { concurrency: 0.5, requestCount: 1 }]]);
  });

  it('shares one onFinish between requests', () => {
    const clock = { now: () => 0 };
    const reporter = new ConcurrencyReporter({ sink: { report: () => undefined, poke: () => undefined }, clock });
    const handler = concurrencyReporter(reporter, clock, new RecordingStage());
    const { entry } = testEntry();
    const [a, b] = [new RecordingExchange(), new RecordingExchange()];
    handler(a, entry);
    handler(b, entry);
    expect(a.onFinish).not.toBe(null);
    expect(a.onFinish).toBe(b.onFinish);
  });
});

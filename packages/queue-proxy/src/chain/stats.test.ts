import { RequestStats } from '@kdp/core/request-stats';
import { describe, expect, it } from 'vitest';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { QueueRequest } from './request.js';
import { StatsStage } from './stats.js';

describe('StatsStage', () => {
  it('counts each request in when it arrives and out when it ends, activator-proxied ones apart', () => {
    const stats = new RequestStats(0);
    const log: string[] = [];
    const next = new RecordingStage(log);
    const stage = new StatsStage(stats, next);
    const a = new QueueRequest(new RecordingExchange(), false, undefined, undefined, false);
    const b = new QueueRequest(new RecordingExchange(), true, undefined, undefined, false);
    stage.serve(a);
    stage.serve(b);
    expect(next.served).toEqual([a, b]);
    stage.finish(a, 'complete', 200, 1);
    stage.finish(b, 'client-aborted', 0, 2);
    expect(next.finished.map((f) => [f.p, f.outcome, f.status, f.now])).toEqual([
      [a, 'complete', 200, 1],
      [b, 'client-aborted', 0, 2],
    ]);
    const r = stats.report(performance.now() + 1000);
    expect(r.requestCount).toBe(2);
    expect(r.proxiedRequestCount).toBe(1);
    // Both are out: the next window sees no concurrency.
    expect(stats.report(performance.now() + 2000).averageConcurrency).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { RequestMetricsStage } from './request-metrics.js';
import { QueueRequest } from './request.js';

describe('RequestMetricsStage', () => {
  it('records route tag, final status and ms since the head, after the stages below finished', () => {
    const observed: [string, number, number][] = [];
    const log: string[] = [];
    const next = new RecordingStage(log);
    const stage = new RequestMetricsStage({ observeRequest: (tag, status, ms) => { observed.push([tag, status, ms]); log.push('observe'); } }, next);
    const ex = new RecordingExchange({ 'Knative-Serving-Tag': 'blue' });
    ex.startedAt = performance.now();
    const p = new QueueRequest(ex, false, undefined, undefined, false);
    stage.serve(p);
    expect(p.routeTag).toBe('blue');
    expect(next.served).toEqual([p]);
    stage.finish(p, 'complete', 404, 0);
    expect(log).toEqual(['serve', 'finish', 'observe']);
    expect(observed).toHaveLength(1);
    expect(observed[0]?.slice(0, 2)).toEqual(['blue', 404]);
    expect(observed[0]?.[2]).toBeGreaterThanOrEqual(0);
  });

  it('records no probe', () => {
    const observed: unknown[] = [];
    const stage = new RequestMetricsStage({ observeRequest: (...a) => observed.push(a) }, new RecordingStage());
    const p = new QueueRequest(new RecordingExchange({ 'K-Network-Probe': 'queue' }), false, undefined, undefined, true);
    stage.serve(p);
    stage.finish(p, 'complete', 200, 0);
    expect(observed).toEqual([]);
  });
});

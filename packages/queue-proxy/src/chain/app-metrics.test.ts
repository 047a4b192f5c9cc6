import { Breaker } from '@kdp/core/breaker';
import { describe, expect, it } from 'vitest';
import { AppMetricsStage } from './app-metrics.js';
import type { RequestMetrics } from './app-metrics.js';
import { RecordingExchange, RecordingStage } from '@kdp/core/http/recording-exchange.test-util';
import { QueueRequest } from './request.js';
import type { Outcome } from '@kdp/core';

function recorder() {
  const seen = { observed: [] as [number, number][], depths: [] as number[] };
  const metrics: RequestMetrics = { observe: (s, secs) => seen.observed.push([s, secs]), setQueueDepth: (n) => seen.depths.push(n) };
  return { seen, metrics };
}

function req(probe = false): QueueRequest {
  return new QueueRequest(new RecordingExchange(), false, undefined, undefined, probe);
}

describe('AppMetricsStage', () => {
  it('records the breaker in-flight count on the way in, and status and seconds since then at the end', () => {
    const { seen, metrics } = recorder();
    const breaker = new Breaker({ queueDepth: 10, maxConcurrency: 4, initialCapacity: 4 });
    expect(breaker.acquire(req())).toBe('granted');
    expect(breaker.acquire(req())).toBe('granted');
    const next = new RecordingStage();
    const stage = new AppMetricsStage(metrics, breaker, next);
    const p = req();
    stage.serve(p);
    expect(next.served).toEqual([p]);
    expect(seen.depths).toEqual([2]);
    stage.finish(p, 'complete', 201, p.slotAt + 1500);
    expect(seen.observed).toHaveLength(1);
    expect(seen.observed[0]?.[0]).toBe(201);
    expect(seen.observed[0]?.[1]).toBeCloseTo(1.5, 9);
    expect(next.finished).toHaveLength(1);
  });

  it.each<[Outcome, number, number]>([
    ['upstream-error', 200, 500],
    ['upstream-error', 502, 502],
    ['timeout', 504, 504],
    ['client-aborted', 200, 200],
  ])('%s with status %i is recorded as %i', (outcome, status, want) => {
    const { seen, metrics } = recorder();
    const stage = new AppMetricsStage(metrics, null, new RecordingStage());
    const p = req();
    stage.serve(p);
    stage.finish(p, outcome, status, p.slotAt);
    expect(seen.observed).toEqual([[want, 0]]);
    expect(seen.depths).toEqual([]);
  });

  it('records nothing for probes, nor for requests that never reached it', () => {
    const { seen, metrics } = recorder();
    const breaker = new Breaker({ queueDepth: 10, maxConcurrency: 4, initialCapacity: 4 });
    const stage = new AppMetricsStage(metrics, breaker, new RecordingStage());
    const probe = req(true);
    stage.serve(probe);
    stage.finish(probe, 'complete', 200, probe.slotAt + 1);
    stage.finish(req(), 'complete', 503, 1);
    expect(seen).toEqual({ observed: [], depths: [] });
  });
});

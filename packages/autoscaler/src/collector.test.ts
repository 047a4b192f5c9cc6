// From serving: pkg/autoscaler/metrics/collector_test.go.
import { describe, expect, it } from 'vitest';
import { MetricCollection } from './collector.js';

const NOW = 1_700_000_000_400;
const zero = { averageConcurrentRequests: 0, averageProxiedConcurrentRequests: 0, requestCount: 0, proxiedRequestCount: 0 };

describe('MetricCollection', () => {
  it('TestMetricCollectorRecord: proxied values are subtracted, an outdated stat is dropped', () => {
    const c = new MetricCollection({ stableWindowMs: 60_000, panicWindowMs: 6_000, aggregation: 'linear' });
    // Fresh collection with a scrape target: no data.
    expect(c.stableAndPanic('concurrency', NOW, true)).toBeNull();
    expect(c.stableAndPanic('rps', NOW, true)).toBeNull();
    c.record(NOW - 70_000, { ...zero, averageConcurrentRequests: 100, requestCount: 100 });
    c.record(NOW, {
      averageConcurrentRequests: 20,
      averageProxiedConcurrentRequests: 10,
      requestCount: 30,
      proxiedRequestCount: 20,
    });
    expect(c.stableAndPanic('concurrency', NOW, true)).toEqual({ stable: 10, panic: 10 });
    expect(c.stableAndPanic('rps', NOW, true)).toEqual({ stable: 10, panic: 10 });
  });

  it('TestMetricCollectorAggregate: stable 6 s and panic 2 s windows over 10 s of rising load', () => {
    const c = new MetricCollection({ stableWindowMs: 6_000, panicWindowMs: 2_000, aggregation: 'linear' });
    for (let i = 0; i < 10; i++) c.record(NOW + i * 1000, { ...zero, averageConcurrentRequests: i + 5, requestCount: i + 5 });
    expect(c.stableAndPanic('concurrency', NOW + 9000, true)).toEqual({ stable: 11.5, panic: 13.5 });
  });

  it('TestMetricCollectorNoScraper: without a scrape target an empty window reads 0, not "no data"', () => {
    const c = new MetricCollection({ stableWindowMs: 60_000, panicWindowMs: 6_000, aggregation: 'linear' });
    expect(c.stableAndPanic('concurrency', NOW, false)).toEqual({ stable: 0, panic: 0 });
    expect(c.stableAndPanic('rps', NOW, false)).toEqual({ stable: 0, panic: 0 });
    c.record(NOW, { ...zero, averageConcurrentRequests: 10, requestCount: 30 });
    expect(c.stableAndPanic('concurrency', NOW, false)).toEqual({ stable: 10, panic: 10 });
    expect(c.stableAndPanic('rps', NOW, false)).toEqual({ stable: 30, panic: 30 });
  });

  it('TestMetricCollectorNoDataError: with a scrape target and nothing recorded, no data', () => {
    const c = new MetricCollection({ stableWindowMs: 60_000, panicWindowMs: 6_000, aggregation: 'linear' });
    expect(c.stableAndPanic('concurrency', NOW, true)).toBeNull();
    c.record(NOW, zero);
    expect(c.stableAndPanic('concurrency', NOW + 60_000, true)).toEqual({ stable: 0, panic: 0 });
    expect(c.stableAndPanic('concurrency', NOW + 61_000, true)).toBeNull();
  });

  it('sums the activator and the pods in the same second, counting activator-proxied requests once', () => {
    const c = new MetricCollection({ stableWindowMs: 60_000, panicWindowMs: 6_000, aggregation: 'linear' });
    // The activator holds 3 requests (1 buffered, 2 proxied); the pods see the 2 proxied ones plus 4 direct.
    c.record(NOW, { ...zero, averageConcurrentRequests: 3, requestCount: 3 });
    c.record(NOW + 300, { averageConcurrentRequests: 6, averageProxiedConcurrentRequests: 2, requestCount: 6, proxiedRequestCount: 2 });
    expect(c.stableAndPanic('concurrency', NOW, true)).toEqual({ stable: 7, panic: 7 });
    expect(c.stableAndPanic('rps', NOW, true)).toEqual({ stable: 7, panic: 7 });
  });

  it('uses weighted windows for metric-aggregation-algorithm weighted-exponential', () => {
    const c = new MetricCollection({ stableWindowMs: 6_000, panicWindowMs: 1_000, aggregation: 'weighted-exponential' });
    c.record(NOW, { ...zero, averageConcurrentRequests: 10 });
    const got = c.stableAndPanic('concurrency', NOW, true);
    // 6 buckets: coefficient 1 − 0.0001^(1/6) ≈ 0.78456; 1 bucket: 1 − 0.0001 = 0.9999.
    expect(got?.stable).toBeCloseTo(7.8456, 3);
    expect(got?.panic).toBeCloseTo(9.999, 9);
  });
});

// One revision's metric windows, fed by scrapes and activator reports, read by the decider. Follows serving:
// pkg/autoscaler/metrics/collector.go (`collection.record`, `StableAndPanicConcurrency`, `StableAndPanicRPS`).
import type { Stat } from '@kdp/core';
import { BUCKET_MS } from './config.js';
import { TimedBuckets, WeightedBuckets, type WindowAverager } from './metric-windows.js';
import type { AggregationAlgorithm, ScalingMetric } from './settings.js';

export interface StableAndPanic {
  readonly stable: number;
  readonly panic: number;
}

export interface CollectionWindows {
  readonly stableWindowMs: number;
  readonly panicWindowMs: number;
  readonly aggregation: AggregationAlgorithm;
}

/** The part of a Stat the windows use. */
export type RecordedStat = Pick<
  Stat,
  'averageConcurrentRequests' | 'averageProxiedConcurrentRequests' | 'requestCount' | 'proxiedRequestCount'
>;

export class MetricCollection {
  private readonly concurrencyStable: WindowAverager;
  private readonly concurrencyPanic: WindowAverager;
  private readonly rpsStable: WindowAverager;
  private readonly rpsPanic: WindowAverager;

  constructor(windows: CollectionWindows) {
    // The algorithm comes from an annotation Knative treats as immutable; a change needs a new collection.
    const weighted = windows.aggregation === 'weighted-exponential';
    const make = (w: number): WindowAverager =>
      weighted ? new WeightedBuckets(w, BUCKET_MS) : new TimedBuckets(w, BUCKET_MS);
    this.concurrencyStable = make(windows.stableWindowMs);
    this.concurrencyPanic = make(windows.panicWindowMs);
    this.rpsStable = make(windows.stableWindowMs);
    this.rpsPanic = make(windows.panicWindowMs);
  }

  /**
   * Adds one report to the current second. Reports in the same second are summed: the activator's (which count
   * requests it buffers or proxies) and the pods' minus what the activator proxied, so each request counts once.
   */
  record(nowMs: number, stat: RecordedStat): void {
    const concurrency = stat.averageConcurrentRequests - stat.averageProxiedConcurrentRequests;
    this.concurrencyStable.record(nowMs, concurrency);
    this.concurrencyPanic.record(nowMs, concurrency);
    const rps = stat.requestCount - stat.proxiedRequestCount;
    this.rpsStable.record(nowMs, rps);
    this.rpsPanic.record(nowMs, rps);
  }

  /** Changes the window lengths, keeping the data. */
  resize(stableWindowMs: number, panicWindowMs: number, nowMs: number): void {
    this.concurrencyStable.resizeWindow(stableWindowMs, nowMs);
    this.concurrencyPanic.resizeWindow(panicWindowMs, nowMs);
    this.rpsStable.resizeWindow(stableWindowMs, nowMs);
    this.rpsPanic.resizeWindow(panicWindowMs, nowMs);
  }

  /**
   * Stable and panic averages of the metric, or `null` for "no data": nothing was recorded for a whole stable
   * window while pods are being scraped. Without a scrape target (TBC −1: only the activator reports) an empty
   * window reads as 0, which is what lets such a revision scale to zero.
   */
  stableAndPanic(metric: ScalingMetric, nowMs: number, hasScrapeTarget: boolean): StableAndPanic | null {
    const [stable, panic] =
      metric === 'rps' ? [this.rpsStable, this.rpsPanic] : [this.concurrencyStable, this.concurrencyPanic];
    if (hasScrapeTarget && stable.isEmpty(nowMs)) return null;
    return { stable: stable.windowAverage(nowMs), panic: panic.windowAverage(nowMs) };
  }
}

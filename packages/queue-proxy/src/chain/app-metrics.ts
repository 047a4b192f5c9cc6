/**
 * The app request metrics (`requestAppMetricsHandler` in `S:pkg/queue/sharedmain/handlers.go#mainHandler`), inside
 * the breaker: the queue depth (the breaker's in-flight count) when a request gets its slot, and, when it ends,
 * its status and the seconds from slot to end. Probes (`K-Network-Probe`) are not recorded. An upstream failure
 * after the response head counts as 500, as Knative's handler records a panic.
 */
import { performance } from 'node:perf_hooks';
import type { Breaker, Outcome } from '@kdp/core';
import type { QueueRequest, RequestStage } from './request.js';

export interface RequestMetrics {
  /** Once per non-probe request that got a breaker slot: status and seconds from slot to completion. */
  observe(status: number, seconds: number): void;
  setQueueDepth(n: number): void;
}

export class AppMetricsStage implements RequestStage {
  constructor(
    private readonly metrics: RequestMetrics,
    /** Null without a breaker: no queue depth to report. */
    private readonly breaker: Breaker | null,
    private readonly next: RequestStage,
  ) {}

  serve(p: QueueRequest): void {
    p.slotAt = performance.now();
    if (this.breaker !== null && !p.probe) this.metrics.setQueueDepth(this.breaker.inFlight);
    this.next.serve(p);
  }

  finish(p: QueueRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    if (p.slotAt < 0 || p.probe) return;
    this.metrics.observe(outcome === 'upstream-error' && status < 500 ? 500 : status, (now - p.slotAt) / 1000);
  }
}

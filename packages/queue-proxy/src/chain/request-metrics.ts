/**
 * Knative 1.12-1.18's request-level metrics (`revision_request_count`, `revision_request_latencies`, …;
 * `S:pkg/queue/request_metric.go#NewRequestMetricsHandler`), around everything below the proxy handler: the route
 * tag when the request arrives, its final status and milliseconds since its head when it ends. Probes are not
 * recorded. Only in the chain when that generation's metrics are on.
 */
import { performance } from 'node:perf_hooks';
import type { Outcome } from '@kdp/core';
import { routeTagOf } from '../legacy-metrics.js';
import type { QueueRequest, RequestStage } from './request.js';

/** Knative 1.12-1.18's request-level metrics (revision_request_*), recorded around the whole chain below the drainer. */
export interface RequestLevelMetrics {
  /** Once per non-probe request that passed the drainer: route tag (`routeTagOf`), final status, ms since its head. */
  observeRequest(routeTag: string, status: number, ms: number): void;
}

export class RequestMetricsStage implements RequestStage {
  constructor(
    private readonly metrics: RequestLevelMetrics,
    private readonly next: RequestStage,
  ) {}

  serve(p: QueueRequest): void {
    p.routeTag = routeTagOf(p.ex.header('knative-serving-tag'), p.ex.header('knative-serving-default-route'));
    this.next.serve(p);
  }

  finish(p: QueueRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    if (!p.probe) this.metrics.observeRequest(p.routeTag, status, performance.now() - p.ex.startedAt);
  }
}

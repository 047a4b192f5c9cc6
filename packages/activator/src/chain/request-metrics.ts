/**
 * The request metrics (Knative `pkg/activator/handler/metric_handler.go`): when a request ends, its status and the
 * seconds since it arrived, buffered time included, in its revision's histogram. A failure after the response head
 * counts as a server error (502), as the queue-proxy records it.
 */
import type { Outcome } from '@kdp/core';
import type { ActivatorRequest, RequestStage } from './request.js';

export class RequestMetricsStage implements RequestStage {
  constructor(private readonly next: RequestStage) {}

  serve(p: ActivatorRequest): void {
    this.next.serve(p);
  }

  finish(p: ActivatorRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    p.entry.metrics.observeRequest(outcome === 'upstream-error' && status < 500 ? 502 : status, (now - p.arrivedAtMs) / 1000);
  }
}

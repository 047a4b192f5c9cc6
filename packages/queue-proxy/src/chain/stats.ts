/**
 * Request stats for the autoscaler (`S:pkg/queue/handler.go#ProxyHandler`: `stats.HandleEvent` in, deferred out):
 * every request below the proxy handler is counted in when it arrives and out when it ends, whatever the outcome;
 * a request from the activator counts as proxied. `stats-reporter.ts` turns the counts into Knative's `Stat`.
 */
import { performance } from 'node:perf_hooks';
import type { Outcome, RequestStats } from '@kdp/core';
import type { QueueRequest, RequestStage } from './request.js';

export class StatsStage implements RequestStage {
  constructor(
    private readonly stats: RequestStats,
    private readonly next: RequestStage,
  ) {}

  serve(p: QueueRequest): void {
    this.stats.reqIn(performance.now(), p.proxied);
    this.next.serve(p);
  }

  finish(p: QueueRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    this.stats.reqOut(now, p.proxied);
  }
}

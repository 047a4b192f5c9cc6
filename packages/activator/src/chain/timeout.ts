/**
 * The timeout handler (`S:pkg/http/handler/timeout.go`, wrapping the activation handler in cmd/activator/main.go):
 * the revision's timeouts are armed when the request arrives, so the time it waits in the throttler counts.
 */
import type { Outcome } from '@kdp/core';
import type { ActivatorRequest, RequestStage } from './request.js';

export class TimeoutStage implements RequestStage {
  constructor(private readonly next: RequestStage) {}

  serve(p: ActivatorRequest): void {
    p.ex.setTimeouts(p.entry.timeouts);
    this.next.serve(p);
  }

  finish(p: ActivatorRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
  }
}

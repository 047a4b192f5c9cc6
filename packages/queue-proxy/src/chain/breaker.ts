/**
 * The breaker gate (`S:pkg/queue/handler.go#ProxyHandler`, `breaker.Maybe`): at most containerConcurrency requests
 * go on at once; up to the breaker's queue depth wait for a slot (resumed in `granted`, in arrival order), and beyond
 * that the request is answered 503 `queue-full` with Knative's text. Absent when containerConcurrency is 0.
 */
import { errorBody, errorHeaders } from '@kdp/core/errors';
import type { Breaker, Outcome } from '@kdp/core';
import type { GrantListener, QueueRequest, RequestStage } from './request.js';

const QUEUE_FULL = errorHeaders('queue-full');
const QUEUE_FULL_BODY = errorBody('queue-full');

export class BreakerStage implements RequestStage, GrantListener {
  constructor(
    private readonly breaker: Breaker,
    private readonly next: RequestStage,
  ) {}

  serve(p: QueueRequest): void {
    switch (this.breaker.acquire(p)) {
      case 'granted':
        p.slot = 2;
        this.next.serve(p);
        return;
      case 'queued':
        p.slot = 1;
        p.gate = this;
        return;
      case 'rejected':
        p.ex.respond(503, QUEUE_FULL, QUEUE_FULL_BODY);
        return;
    }
  }

  /** A queued request got its slot (from `QueueRequest.onBreakerGrant`, inside another request's `release`). */
  granted(p: QueueRequest): void {
    p.slot = 2;
    this.next.serve(p);
  }

  finish(p: QueueRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    if (p.slot === 2) this.breaker.release();
    else if (p.slot === 1) this.breaker.cancel(p);
  }
}

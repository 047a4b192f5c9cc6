/**
 * The throttle stage, the waiting half of Knative's activation handler (`pkg/activator/handler/handler.go`,
 * `throttler.Try`): the request waits for a slot in its revision's throttler (`throttler.ts`: containerConcurrency ×
 * ready pods, a pod picked by the load-balancing policy) and goes on once it has one, to the pod it was given.
 *  - No ready pod: a cold start. The first request buffered opens the episode (`cold-start.ts`) and pokes the
 *    autoscaler at once; the first request granted afterwards measures the first byte.
 *  - More than `maxBuffered` waiting: 503 `overloaded` with `Retry-After` and Knative's queue-full text.
 *  - The revision went away while it waited: 404, as the context handler answers.
 *  - Failover (`elsewhere`): a request without a body that provably never reached the pod's app is sent once to
 *    another ready pod, within the deadline armed at arrival.
 */
import { errorBody } from '@kdp/core';
import type { Logger, Outcome, UnreachableCause } from '@kdp/core';
import { ColdStart } from '../cold-start.js';
import type { ConcurrencyReporter } from '../reporter.js';
import type { Revisions } from '../revisions.js';
import type { ThrottleFailure } from '../throttler.js';
import { respondNotFound } from './context.js';
import type { ActivatorRequest, RequestStage, ThrottleListener } from './request.js';

/** Knative's queue-full text (`queue.ErrRequestQueueFull`), kept as the body of kdp's buffer-full 503. */
const QUEUE_FULL_BODY = errorBody('queue-full');

export interface ThrottleStageDeps {
  readonly revisions: Pick<Revisions, 'podUnreachable'>;
  readonly reporter: Pick<ConcurrencyReporter, 'poke'>;
  readonly logger: Logger;
  /** Headers of the buffer-full 503: `X-Kdp-Error: overloaded` and `Retry-After`. */
  readonly overloaded: readonly string[];
}

export class ThrottleStage implements RequestStage, ThrottleListener {
  constructor(
    private readonly deps: ThrottleStageDeps,
    private readonly next: RequestStage,
  ) {}

  serve(p: ActivatorRequest): void {
    p.gate = this;
    const entry = p.entry;
    const throttler = entry.throttler;
    switch (throttler.acquire(p)) {
      case 'granted':
        this.granted(p);
        return;
      case 'queued':
        if (throttler.readyPods === 0) {
          p.buffered = true;
          if (entry.coldStart === null) {
            entry.coldStart = new ColdStart(p.arrivedAtMs);
            this.deps.reporter.poke(p.stat);
            this.deps.logger.debug({ revision: entry.key }, 'buffering for a revision with no ready pod; poked the autoscaler');
          }
        }
        return;
      case 'rejected':
        p.ex.respond(503, this.deps.overloaded, QUEUE_FULL_BODY);
        return;
    }
  }

  /** The request holds a slot and a pod (at once, or later from another request's release): on to the pod. */
  granted(p: ActivatorRequest): void {
    if (p.pod === null) return; // unreachable: a granted ticket has a pod
    const entry = p.entry;
    const episode = entry.awaitingFirstByte;
    if (episode !== null) {
      entry.awaitingFirstByte = null;
      p.cold = episode;
    }
    this.next.serve(p);
  }

  failed(p: ActivatorRequest, reason: ThrottleFailure): void {
    switch (reason) {
      case 'closed':
        respondNotFound(p.ex, p.entry.namespace, p.entry.name, this.deps.logger);
        return;
      case 'no-pod':
        p.ex.respond(503, this.deps.overloaded, QUEUE_FULL_BODY);
        return;
    }
  }

  /**
   * The engine found that the request never reached the pod's app (its queue-proxy refused the connection, or could
   * not connect to the app: a pod whose process just died) and it has no body. Knative returns that 502; kdp takes
   * the pod out of load balancing at once and sends the request, once, to another ready pod, within the deadline
   * armed at arrival. With no other ready pod the 502 stands (a restart would outlast most clients' patience).
   */
  elsewhere(p: ActivatorRequest, _cause: UnreachableCause): boolean {
    const pod = p.pod;
    if (p.retried || pod === null || p.state !== 'holding') return false;
    p.retried = true;
    const entry = p.entry;
    const throttler = entry.throttler;
    this.deps.revisions.podUnreachable(entry.key, pod.podId);
    throttler.release(p);
    // A ticket is used once; this request's second attempt takes a new place in the throttler.
    p.state = 'idle';
    if (throttler.readyPods === 0) return false;
    switch (throttler.acquire(p)) {
      case 'granted':
        this.granted(p);
        return true;
      case 'queued':
        return true;
      case 'rejected':
        return false;
    }
  }

  finish(p: ActivatorRequest, outcome: Outcome, status: number, now: number): void {
    this.next.finish(p, outcome, status, now);
    const entry = p.entry;
    const throttler = entry.throttler;
    switch (p.state) {
      case 'queued':
        throttler.cancel(p);
        break;
      case 'holding':
        // May grant a waiter, which is sent on right here.
        throttler.release(p);
        break;
      case 'idle':
      case 'released':
        break;
    }
    // The engine stamps when the response head went out (same clock as `clock.now()` in production).
    if (p.cold !== null && outcome === 'complete') {
      entry.lastColdStart = p.cold.firstByte(p.ex.responseStartedAt > 0 ? p.ex.responseStartedAt : now, entry.metrics);
    }
    // Everyone buffered in a cold episode left (timed out, went away) and still no pod: the episode is over, so the
    // next buffered request pokes the autoscaler again.
    if (p.buffered && entry.coldStart !== null && throttler.queued === 0 && throttler.readyPods === 0) {
      entry.coldStart = null;
    }
  }
}

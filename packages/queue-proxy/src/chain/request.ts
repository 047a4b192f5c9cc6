/**
 * What the stages of the queue-proxy's chain share once a request is past the drainer, the timeouts and the
 * forwarded shim: the one per-request record (`QueueRequest`, made by `proxy-handler.ts`) and the shape of the
 * stages that take it (`RequestStage`). Knative's handlers share the `*http.Request` and its context instead.
 */
import type { BreakerWaiter, Exchange, HeaderList, Outcome } from '@kdp/core';

/**
 * A stage of the chain below the proxy handler. Stages are built once at setup, each holding the next one; per
 * request nothing is allocated but the record.
 */
export interface RequestStage {
  /** The request reached this stage: answer it, or pass it on with `next.serve(p)` (now or later). */
  serve(p: QueueRequest): void;
  /**
   * The exchange ended (once, whatever the outcome; also for requests this stage never saw). A stage calls
   * `next.finish` first and then undoes what its `serve` did, so the innermost stage finishes first, as Go's
   * deferred calls unwind. `now` is `performance.now()` taken once when the exchange ended.
   */
  finish(p: QueueRequest, outcome: Outcome, status: number, now: number): void;
}

/** Told when a request queued in the breaker got its slot (`breaker.ts`). */
export interface GrantListener {
  granted(p: QueueRequest): void;
}

/** One per proxied request: what the stages read and what `finish` needs. Lives in `Exchange.state`. */
export class QueueRequest implements BreakerWaiter {
  /** Breaker slot (`breaker.ts`): 0 none, 1 queued, 2 holding. */
  slot = 0;
  /** Where a queued request resumes when the breaker grants it; set by the breaker stage. */
  gate: GrantListener | null = null;
  /** `performance.now()` when it was passed to the reverse proxy; -1 until then (`app-metrics.ts`). */
  slotAt = -1;
  /** Route tag, only set when request-level metrics are on (`request-metrics.ts`). */
  routeTag = '';

  constructor(
    readonly ex: Exchange,
    /** Sent by the activator (`K-Proxy-Request: activator`): counted as proxied in the stats. */
    readonly proxied: boolean,
    /** The upstream Host: `K-Original-Host` when set, else the client's (`undefined`). */
    readonly host: string | undefined,
    /** Header lines to add upstream (the forwarded shim's `Forwarded`). */
    readonly extra: HeaderList | undefined,
    /** Carries a `K-Network-Probe` value: not a user request, kept out of the request metrics. */
    readonly probe: boolean,
  ) {}

  onBreakerGrant(): void {
    this.gate?.granted(this);
  }
}

/**
 * The activator's stats for the autoscaler (Knative `pkg/activator/handler/concurrency_reporter.go`): per revision,
 * the time-weighted average of requests in the activator (buffered ones included: the count starts when the request
 * arrives, before it waits for capacity) and the number of arrivals, sent every second, plus an immediate poke when
 * a revision with no ready pod starts buffering.
 *
 * Mirrors Knative:
 *  - a revision whose average concurrency was 0 for a whole period is reported once (as 0) and then forgotten, so
 *    the autoscaler sees silence, not zeros, for idle revisions (docs/contract/activator-autoscaler-routing.md §6);
 *  - the poke stands for "concurrency 1, one request" (the autoscaler records it so: `Autoscaler.poke`), so the
 *    first report after a poke subtracts that one request (`firstRequest` adjustment in `computeReport`).
 * Differs: Knative pokes on the first request of a revision it has no stats entry for; kdp pokes on the first
 * request buffered while the revision has no ready pod, once per such cold episode (the handler decides when).
 * Request counts are per period, not divided by it (the period is 1 s, as in Knative).
 */
import { RequestStats } from '@kdp/core';
import type { Clock } from './clock.js';

export interface ActivatorStat {
  /** Average requests in the activator for the revision over the period, buffered included. */
  readonly concurrency: number;
  /** Requests that arrived in the period. */
  readonly requestCount: number;
}

/** Where the stats go: the in-process autoscaler, or (standalone) whatever forwards them. Must not throw. */
export interface AutoscalerSink {
  report(revKey: string, stat: ActivatorStat): void;
  poke(revKey: string): void;
}

/** One revision's window; handed to the request so `reqOut` needs no lookup. */
export class RevisionStat {
  readonly stats: RequestStats;
  /** Requests in the activator now; a revision is forgotten only at 0. */
  refs = 0;
  /** 1 in the first period after a poke (Knative `firstRequest`). */
  firstAdjust = 0;

  constructor(
    readonly revKey: string,
    nowMs: number,
  ) {
    this.stats = new RequestStats(nowMs);
  }
}

export interface ConcurrencyReporterOptions {
  readonly sink: AutoscalerSink;
  readonly clock: Clock;
  /** Knative `reportInterval`: 1 s. */
  readonly intervalMs?: number;
}

export class ConcurrencyReporter {
  readonly #stats = new Map<string, RevisionStat>();
  readonly #sink: AutoscalerSink;
  readonly #clock: Clock;
  readonly intervalMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: ConcurrencyReporterOptions) {
    const intervalMs = opts.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`ConcurrencyReporter intervalMs must be a positive number, got ${String(intervalMs)}`);
    }
    this.#sink = opts.sink;
    this.#clock = opts.clock;
    this.intervalMs = intervalMs;
  }

  /** A request for `revKey` arrived. Keep the result for `reqOut`. */
  reqIn(revKey: string, nowMs: number): RevisionStat {
    let s = this.#stats.get(revKey);
    if (s === undefined) {
      s = new RevisionStat(revKey, nowMs);
      this.#stats.set(revKey, s);
    }
    s.refs++;
    s.stats.reqIn(nowMs, false);
    return s;
  }

  /** The request ended, whatever the outcome. */
  reqOut(s: RevisionStat, nowMs: number): void {
    s.refs--;
    s.stats.reqOut(nowMs, false);
  }

  /** Tell the autoscaler at once that the revision has demand (it records concurrency 1, one request). */
  poke(s: RevisionStat): void {
    s.firstAdjust = 1;
    this.#sink.poke(s.revKey);
  }

  /** Close the period at `nowMs`: one report per tracked revision; idle revisions are then forgotten. */
  flush(nowMs: number): void {
    for (const [key, s] of this.#stats) {
      const r = s.stats.report(nowMs);
      const adjust = s.firstAdjust;
      s.firstAdjust = 0;
      if (r.averageConcurrency === 0 && s.refs === 0) this.#stats.delete(key);
      this.#sink.report(key, {
        concurrency: Math.max(0, r.averageConcurrency - adjust),
        requestCount: Math.max(0, r.requestCount - adjust),
      });
    }
  }

  /** Revisions with a window open now. */
  get tracked(): number {
    return this.#stats.size;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.flush(this.#clock.now()), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

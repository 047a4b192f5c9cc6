/**
 * Time-weighted concurrency and arrival counts per reporting window, as Knative's
 * `knative/networking pkg/http/stats/request.go` (`RequestStats`) computes them for the autoscaler `Stat`.
 *
 * Times are milliseconds on any clock that only moves forward in practice (`performance.now()` is what the
 * queue-proxy uses); a timestamp older than the last one seen adds nothing, as in Go.
 * Per-request cost: two calls, a few float additions, no allocation.
 */

export interface RequestStatsReport {
  /** Mean number of requests in flight over the window (queued in the breaker counts as in flight). */
  readonly averageConcurrency: number;
  /** The same for requests that came through the activator (`K-Proxy-Request: activator`). */
  readonly averageProxiedConcurrency: number;
  /** Arrivals in the window. */
  readonly requestCount: number;
  /** Arrivals through the activator in the window (also counted in `requestCount`). */
  readonly proxiedRequestCount: number;
}

export class RequestStats {
  // State carried across windows.
  #concurrency = 0;
  #proxiedConcurrency = 0;
  #lastChangeMs: number;

  // Window state, reset by report().
  #requestCount = 0;
  #proxiedCount = 0;
  #computedConcurrency = 0;
  #computedProxiedConcurrency = 0;
  #secondsInUse = 0;

  /** `startedAtMs`: the time the first window opens (Go `NewRequestStats(startedAt)`). */
  constructor(startedAtMs: number) {
    this.#lastChangeMs = startedAtMs;
  }

  /** A request arrived; `proxied` when it came through the activator (Go `ProxiedIn`, else `ReqIn`). */
  reqIn(nowMs: number, proxied: boolean): void {
    this.#compute(nowMs);
    if (proxied) {
      this.#proxiedConcurrency++;
      this.#proxiedCount++;
    }
    this.#requestCount++;
    this.#concurrency++;
  }

  /** A request finished; `proxied` must match its `reqIn` (Go `ProxiedOut`, else `ReqOut`). */
  reqOut(nowMs: number, proxied: boolean): void {
    this.#compute(nowMs);
    if (proxied) this.#proxiedConcurrency--;
    this.#concurrency--;
  }

  /** Close the window at `nowMs` and start the next one. A fresh object each call (once a second). */
  report(nowMs: number): RequestStatsReport {
    this.#compute(nowMs);
    const secs = this.#secondsInUse;
    const report: RequestStatsReport = {
      averageConcurrency: secs > 0 ? this.#computedConcurrency / secs : 0,
      averageProxiedConcurrency: secs > 0 ? this.#computedProxiedConcurrency / secs : 0,
      requestCount: this.#requestCount,
      proxiedRequestCount: this.#proxiedCount,
    };
    this.#computedConcurrency = 0;
    this.#computedProxiedConcurrency = 0;
    this.#requestCount = 0;
    this.#proxiedCount = 0;
    this.#secondsInUse = 0;
    return report;
  }

  /** Requests in flight now (not a window average). */
  get concurrency(): number {
    return this.#concurrency;
  }

  #compute(nowMs: number): void {
    // `>` also drops NaN; non-monotonic timestamps are ignored as in Go (they are benign rounding at most).
    if (nowMs > this.#lastChangeMs) {
      const secs = (nowMs - this.#lastChangeMs) / 1000;
      this.#secondsInUse += secs;
      this.#computedConcurrency += this.#concurrency * secs;
      this.#computedProxiedConcurrency += this.#proxiedConcurrency * secs;
      this.#lastChangeMs = nowMs;
    }
  }
}

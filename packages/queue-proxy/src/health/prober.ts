// Readiness of the user container, as queue-proxy's health check sees it. Mirrors S:pkg/queue/readiness/probe.go:
// - no probes: always ready;
// - every configured probe runs in parallel and all must pass (errgroup; the run ends when the last one ends);
// - concurrent callers share the run in flight instead of starting another; nothing is cached between runs;
// - periodSeconds == 0 is the aggressive mode: an attempt every 50 ms, 100 ms each, for up to 10 s, until
//   successThreshold consecutive successes. The success count lives on the probe and survives across runs (it is
//   only reset by a failure), so after one good run the next one passes on its first successful attempt;
// - periodSeconds > 0: a single attempt with timeoutSeconds.
import { performance } from 'node:perf_hooks';

import { createProbeAttempt, type ProbeAttempt } from './probe-attempt.js';
import type { ProbeSpec } from './probe-decode.js';

/** The part of a pino logger the prober uses. */
export interface ProberLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface ReadinessProberOptions {
  readonly logger?: ProberLogger;
  /** Aggressive-mode poll budget; Knative's PollTimeout, 10 s. Tests shorten it (Knative's tests do the same). */
  readonly pollTimeoutMs?: number;
  /**
   * Callers that may wait for one run. A health check arriving when this many already wait is answered "not
   * ready" at once rather than queued without bound.
   */
  readonly maxWaiters?: number;
}

export type ReadinessCallback = (ready: boolean) => void;

// S:pkg/queue/readiness/probe.go: retryInterval, aggressiveProbeTimeout, PollTimeout.
const AGGRESSIVE_RETRY_INTERVAL_MS = 50;
const AGGRESSIVE_ATTEMPT_TIMEOUT_MS = 100;
const DEFAULT_POLL_TIMEOUT_MS = 10_000;
// kdp: one run lasts at most ~10 s; a thousand health checks waiting on it is already far beyond any real caller.
const DEFAULT_MAX_WAITERS = 1024;

const noopLogger: ProberLogger = { warn: () => undefined, debug: () => undefined };

interface ProbeState {
  readonly spec: ProbeSpec;
  readonly attempt: ProbeAttempt;
  /** Consecutive successes in aggressive mode (Knative's wrappedProbe.count). */
  count: number;
}

export class ReadinessProber {
  readonly #probes: readonly ProbeState[];
  readonly #logger: ProberLogger;
  readonly #pollTimeoutMs: number;
  readonly #maxWaiters: number;
  /** Callers of the run in flight; undefined when no run is in flight. */
  #waiters: ReadinessCallback[] | undefined;

  constructor(probes: readonly ProbeSpec[], options: ReadinessProberOptions = {}) {
    const pollTimeoutMs = options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
    if (!Number.isFinite(pollTimeoutMs) || pollTimeoutMs <= 0) {
      throw new RangeError(`ReadinessProber: pollTimeoutMs must be a positive number, got ${String(pollTimeoutMs)}`);
    }
    const maxWaiters = options.maxWaiters ?? DEFAULT_MAX_WAITERS;
    if (!Number.isInteger(maxWaiters) || maxWaiters < 1) {
      throw new RangeError(`ReadinessProber: maxWaiters must be a positive integer, got ${String(maxWaiters)}`);
    }
    this.#probes = probes.map((spec) => ({ spec, attempt: createProbeAttempt(spec.action), count: 0 }));
    this.#logger = options.logger ?? noopLogger;
    this.#pollTimeoutMs = pollTimeoutMs;
    this.#maxWaiters = maxWaiters;
  }

  /**
   * Probes the user container and calls `cb` once with the outcome. A callback rather than a promise because it
   * is called from the request path for health checks. `cb` is called synchronously when there is nothing to
   * probe (no probes, or too many waiters), otherwise later.
   */
  probe(cb: ReadinessCallback): void {
    if (this.#probes.length === 0) {
      cb(true);
      return;
    }
    const waiters = this.#waiters;
    if (waiters !== undefined) {
      if (waiters.length >= this.#maxWaiters) {
        cb(false);
        return;
      }
      waiters.push(cb);
      return;
    }
    this.#waiters = [cb];
    this.#runAll();
  }

  #runAll(): void {
    let pending = this.#probes.length;
    let firstError: Error | undefined;
    for (const probe of this.#probes) {
      this.#runOne(probe, (error) => {
        firstError ??= error;
        if (--pending === 0) this.#settle(firstError);
      });
    }
  }

  #settle(error: Error | undefined): void {
    const waiters = this.#waiters ?? [];
    // Cleared before the callbacks run, so a callback that probes again starts a fresh run (no caching).
    this.#waiters = undefined;
    if (error !== undefined) this.#logger.debug({ err: error }, 'readiness probe failed');
    const ready = error === undefined;
    let thrown: unknown;
    for (const waiter of waiters) {
      // One failing callback must not leave the other health checks hanging.
      try {
        waiter(ready);
      } catch (callbackError) {
        thrown ??= callbackError;
      }
    }
    if (thrown !== undefined) {
      // Rethrown outside the loop, so it still surfaces like any exception thrown from an event handler.
      const error = thrown instanceof Error ? thrown : new Error('readiness callback threw a non-Error', { cause: thrown });
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #runOne(probe: ProbeState, done: (error: Error | undefined) => void): void {
    const { spec, attempt } = probe;
    if (spec.periodSeconds !== 0) {
      attempt(spec.timeoutSeconds * 1000, done);
      return;
    }

    // Aggressive mode, like wait.PollUntilContextTimeout(ctx, 50ms, 10s, immediate=true, ...): the first attempt
    // at once, the next one 50 ms after the previous one started (or at once if it took longer), no attempt
    // started past the deadline.
    const deadline = performance.now() + this.#pollTimeoutMs;
    let failures = 0;
    let lastError: Error | undefined;
    const giveUp = (): void => {
      if (lastError !== undefined) {
        // Logged once per poll, not per attempt: failures are expected while the container starts.
        this.#logger.warn({ failures, err: lastError }, 'aggressive probe error');
      }
      done(new Error(`probe did not succeed ${String(spec.successThreshold)} time(s) in a row within ${String(this.#pollTimeoutMs)} ms`));
    };
    const tick = (): void => {
      const started = performance.now();
      attempt(AGGRESSIVE_ATTEMPT_TIMEOUT_MS, (error) => {
        if (error !== undefined) {
          probe.count = 0;
          lastError = error;
          failures++;
        } else if (++probe.count >= spec.successThreshold) {
          done(undefined);
          return;
        }
        const now = performance.now();
        const wait = Math.max(0, started + AGGRESSIVE_RETRY_INTERVAL_MS - now);
        if (now + wait >= deadline) {
          setTimeout(giveUp, Math.max(0, deadline - now));
          return;
        }
        setTimeout(tick, wait);
      });
    };
    tick();
  }
}

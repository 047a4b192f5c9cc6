/**
 * kdp's one time source, injected wherever time matters (docs/style.md rule 5), so time-based logic is tested with a
 * clock the test drives rather than with sleeps. Milliseconds on a monotonic clock: `performance.now()` in
 * production, the clock the HTTP engine stamps `Exchange.startedAt` with. Wall-clock timestamps that are stored or
 * shown (`creationTimestamp`, retry times that survive a restart) are `Date.now`-style functions, not a `Clock`.
 *
 * A component asks for only the part it uses: `Pick<Clock, 'now'>` when it only reads the time (the activator, the
 * scraper), the whole `Clock` when it also arms timers (the runtime, the autoscaler's tick). The drainer takes Node's
 * `setTimeout`/`clearTimeout` pair instead (`DrainerClock`): it refreshes one timer per request, which a cancel
 * function cannot express.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Milliseconds on a monotonic clock; only differences mean anything. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it (idempotent). */
  setTimer(fn: () => void, ms: number): () => void;
}

/** `performance.now()` and the global timers. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimer(fn: () => void, ms: number): () => void {
    const t = setTimeout(fn, ms);
    return () => {
      clearTimeout(t);
    };
  },
});

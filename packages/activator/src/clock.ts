/**
 * The activator's one time source, injected everywhere time matters (docs/style.md rule 5). Milliseconds on a monotonic
 * clock: `performance.now()` in production, the same clock the HTTP engine stamps `Exchange.startedAt` with.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => performance.now() });

/** Uniform random number in [0, 1), as `Math.random`; injected so load-balancing tests are deterministic. */
export type Rng = () => number;

/**
 * The activator's time source: core's one `Clock`, of which the activator only reads the time. Injected
 * everywhere time matters (docs/style.md rule 5); `systemClock` is `performance.now()`, the clock the HTTP engine stamps `Exchange.startedAt` with.
 */
import type { Clock as CoreClock } from '@kdp/core';

export type Clock = Pick<CoreClock, 'now'>;
export { systemClock } from '@kdp/core';

/** Uniform random number in [0, 1), as `Math.random`; injected so load-balancing tests are deterministic. */
export type Rng = () => number;

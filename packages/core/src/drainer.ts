/**
 * The drain state machine of knative/pkg `network/handlers/drain.go` (`Drainer`), without the HTTP part: the
 * handler that answers probes with 503 while `draining` lives with each service.
 *
 *   idle ──drain()──▶ draining ──quietPeriodMs with no touch()──▶ drained
 *     ▲                  │                                          │
 *     └──────reset()─────┴──────────────────reset()─────────────────┘
 *
 * `draining` stays true once drained (Go keeps the timer), so probes keep failing until `reset()`.
 */

/** The handle a clock's `setTimeout` returns. `refresh()` re-arms it for its full delay (Node's `Timeout#refresh`). */
export interface DrainerTimer {
  refresh(): unknown;
}

/**
 * Injected timers: pass `globalThis` (or `{ setTimeout, clearTimeout }`) in production, a fake in tests.
 * Method syntax on purpose: `clearTimeout` only ever receives a handle this clock's `setTimeout` returned, and the
 * `unknown` parameter (checked bivariantly) lets Node's own `clearTimeout` signature fit.
 */
export interface DrainerClock {
  setTimeout(callback: () => void, ms: number): DrainerTimer;
  clearTimeout(timer: unknown): void;
}

export interface DrainerOptions {
  /** Time without requests after which a drain completes. The queue-proxy uses Knative's 30 s `drainSleepDuration`. */
  readonly quietPeriodMs: number;
  readonly clock: DrainerClock;
}

// setTimeout's ceiling: Node fires after 1 ms when asked for more (TimeoutOverflowWarning).
const MAX_TIMER_MS = 2_147_483_647;

export type DrainerState = 'idle' | 'draining' | 'drained';

export class Drainer {
  readonly quietPeriodMs: number;
  readonly #clock: DrainerClock;
  #state: DrainerState = 'idle';
  /** Armed and not yet fired; `touch()` only needs this one check. */
  #timer: DrainerTimer | null = null;
  #done: Promise<void> | null = null;
  #resolve: (() => void) | null = null;
  // Bound once: arming a drain creates no closure.
  readonly #onQuiet = (): void => {
    this.#timer = null;
    this.#state = 'drained';
    this.#settle();
  };

  constructor(opts: DrainerOptions) {
    const { quietPeriodMs } = opts;
    if (!Number.isFinite(quietPeriodMs) || quietPeriodMs <= 0 || quietPeriodMs > MAX_TIMER_MS) {
      throw new RangeError(
        `Drainer quietPeriodMs must be a number in (0, ${String(MAX_TIMER_MS)}], got ${String(quietPeriodMs)}`,
      );
    }
    this.quietPeriodMs = quietPeriodMs;
    this.#clock = opts.clock;
  }

  /** True from `drain()` until `reset()`, including after the drain completed (Go `draining()`). */
  get draining(): boolean {
    return this.#state !== 'idle';
  }

  get state(): DrainerState {
    return this.#state;
  }

  /**
   * Start draining (if not already) and resolve once `quietPeriodMs` pass without `touch()`, or on `reset()`.
   * Concurrent callers get the same promise; after completion it is already resolved. Never rejects.
   */
  drain(): Promise<void> {
    if (this.#done !== null) return this.#done;
    this.#state = 'draining';
    this.#done = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    this.#timer = this.#clock.setTimeout(this.#onQuiet, this.quietPeriodMs);
    return this.#done;
  }

  /**
   * A request arrived: while draining and not yet drained, restart the quiet period (Go `resetTimer`, which only
   * re-arms if `Stop()` succeeds). Called per request, so when not draining it is one field load and a compare;
   * while draining, `refresh()` re-arms the existing timer without allocating.
   */
  touch(): void {
    const t = this.#timer;
    if (t !== null) t.refresh();
  }

  /**
   * Stop draining: every pending `drain()` caller resolves now, `draining` becomes false, and a later `drain()`
   * starts from scratch (Go `Reset`, used by `/wait-for-drain` when no SIGTERM follows).
   */
  reset(): void {
    const t = this.#timer;
    if (t !== null) {
      this.#timer = null;
      this.#clock.clearTimeout(t);
    }
    this.#state = 'idle';
    this.#settle();
    this.#done = null;
  }

  #settle(): void {
    const resolve = this.#resolve;
    if (resolve !== null) {
      this.#resolve = null;
      resolve();
    }
  }
}

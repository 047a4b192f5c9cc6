/** Time source and timers, injected so time-based logic can be driven by a test clock. */
export interface Clock {
  /** Milliseconds; only differences are used. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it (idempotent). */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimer(fn: () => void, ms: number): () => void {
    const t = setTimeout(fn, ms);
    return () => {
      clearTimeout(t);
    };
  },
});

// Sliding-window maximum for `scale-down-delay`, as serving: pkg/autoscaler/aggregation/max/{timewindow,window}.go:
// a descending-maxima list over time buckets (ascending-minima algorithm, mirrored). Kept immutable so the decider
// that owns it stays a pure function; the list holds at most one entry per bucket and is usually one or two long.

export interface MaxWindowEntry {
  readonly index: number;
  readonly value: number;
}

export interface MaxTimeWindow {
  /** Number of buckets: ceil(duration / granularity). */
  readonly size: number;
  readonly granularityMs: number;
  /** Strictly descending values, ascending indexes; the first is the current maximum. */
  readonly maxima: readonly MaxWindowEntry[];
}

export function newMaxTimeWindow(durationMs: number, granularityMs: number): MaxTimeWindow {
  return { size: Math.ceil(durationMs / granularityMs), granularityMs, maxima: [] };
}

/** Records `value` at `nowMs` and returns the new window. */
export function recordMax(w: MaxTimeWindow, nowMs: number, value: number): MaxTimeWindow {
  // timewindow.go: index = Unix seconds / granularity seconds.
  const index = Math.floor(Math.floor(nowMs / 1000) / (w.granularityMs / 1000));
  let v = value;
  const kept: MaxWindowEntry[] = [];
  for (const e of w.maxima) {
    // Entries that fell out of the window go from the front.
    if (index - e.index >= w.size) continue;
    kept.push(e);
  }
  // Entries not larger than the new value can never be the maximum again: drop them from the back.
  while (kept.length > 0 && !(v < (kept[kept.length - 1]?.value ?? Number.POSITIVE_INFINITY))) kept.pop();
  // Two values in the same bucket: the larger one stays.
  const last = kept[kept.length - 1];
  if (last !== undefined && last.index === index) {
    v = Math.max(v, last.value);
    kept.pop();
  }
  kept.push({ index, value: v });
  return { size: w.size, granularityMs: w.granularityMs, maxima: kept };
}

/** The maximum recorded within the window (0 before any record, as Knative's zeroed buffer gives). */
export function currentMax(w: MaxTimeWindow): number {
  return w.maxima[0]?.value ?? 0;
}

// Time-bucketed windows for the autoscaler's averages, following serving: pkg/autoscaler/aggregation/bucketing.go
// (`TimedFloat64Buckets`, `WeightedFloat64Buckets`). Times are epoch milliseconds truncated to the granularity.
//
// The property that matters most: silence is not zero. When no record arrives, `windowAverage` keeps averaging the
// buckets it has (dividing by fewer buckets) instead of counting the silent seconds as zeros, until a whole window
// has passed without data. Scrapers send real zeros while pods exist; an absent report means "no information".

/** Window average interface shared by the linear and the weighted windows. */
export interface WindowAverager {
  record(nowMs: number, value: number): void;
  windowAverage(nowMs: number): number;
  isEmpty(nowMs: number): boolean;
  resizeWindow(windowMs: number, nowMs: number): void;
}

const NEVER = Number.NEGATIVE_INFINITY;
const PRECISION = 1e6; // bucketing.go precision = 6 digits

function round6(f: number): number {
  return Math.round(f * PRECISION) / PRECISION;
}

/** Ring buffer of buckets, each the sum of the values recorded in its slice of time. */
export class TimedBuckets implements WindowAverager {
  protected buckets: number[];
  /** First write since the window was last empty; NEVER before any write. */
  protected firstWrite = NEVER;
  /** Bucket time of the newest write; NEVER before any write. */
  protected lastWrite = NEVER;
  protected windowMs: number;
  /** Sum of all buckets, including stale ones newer than lastWrite (they are subtracted on read). */
  protected windowTotal = 0;
  protected readonly granularityMs: number;

  constructor(windowMs: number, granularityMs = 1000) {
    if (!(granularityMs >= 1000) || granularityMs % 1000 !== 0) {
      throw new RangeError(`granularityMs must be a positive multiple of 1000, was ${granularityMs}`);
    }
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, was ${windowMs}`);
    this.granularityMs = granularityMs;
    this.windowMs = windowMs;
    this.buckets = new Array<number>(Math.ceil(windowMs / granularityMs)).fill(0);
  }

  get window(): number {
    return this.windowMs;
  }

  /** Number of buckets: ceil(window / granularity). */
  get size(): number {
    return this.buckets.length;
  }

  protected truncate(ms: number): number {
    return Math.floor(ms / this.granularityMs) * this.granularityMs;
  }

  // bucketing.go timeToIndex: whole seconds divided by the granularity in seconds.
  protected index(ms: number): number {
    return Math.floor(Math.floor(ms / 1000) / (this.granularityMs / 1000));
  }

  protected slot(index: number): number {
    const n = this.buckets.length;
    return ((index % n) + n) % n;
  }

  isEmpty(nowMs: number): boolean {
    return this.truncate(nowMs) - this.lastWrite > this.windowMs;
  }

  record(nowMs: number, value: number): void {
    const bucketTime = this.truncate(nowMs);
    const writeIdx = this.index(nowMs);
    if (this.lastWrite !== bucketTime) {
      // A value a whole window older than the newest write is ignored (the bound itself included).
      if (!(bucketTime + this.windowMs > this.lastWrite)) return;
      if (this.firstWrite === NEVER || this.firstWrite > bucketTime) this.firstWrite = bucketTime;
      if (bucketTime > this.lastWrite) {
        if (bucketTime - this.lastWrite >= this.windowMs) {
          // A window without writes: start over, so averages cover only what arrives from now on.
          this.firstWrite = bucketTime;
          this.buckets.fill(0);
          this.windowTotal = 0;
        } else {
          // Clear the buckets skipped since the last write; they hold values from one lap ago.
          for (let i = this.index(this.lastWrite) + 1; i <= writeIdx; i++) {
            const s = this.slot(i);
            this.windowTotal -= this.buckets[s] ?? 0;
            this.buckets[s] = 0;
          }
        }
        this.lastWrite = bucketTime;
      }
    }
    const s = this.slot(writeIdx);
    this.buckets[s] = (this.buckets[s] ?? 0) + value;
    this.windowTotal += value;
  }

  /**
   * Average bucket value over the window. Over a partial window when the first write is recent; over the buckets up
   * to the last write when writes stopped less than a window ago (silence is not zero); 0 after a whole silent window.
   */
  windowAverage(nowMs: number): number {
    const now = this.truncate(nowMs);
    const d = now - this.lastWrite;
    const seen = (this.lastWrite - this.firstWrite) / this.granularityMs + 1;
    if (d <= 0) return round6(this.windowTotal / Math.min(seen, this.buckets.length));
    if (d < this.windowMs) {
      const stIdx = this.index(this.lastWrite);
      const eIdx = this.index(now);
      let total = this.windowTotal;
      for (let i = stIdx + 1; i <= eIdx; i++) total -= this.buckets[this.slot(i)] ?? 0;
      return round6(total / Math.min(seen, this.buckets.length - (eIdx - stIdx)));
    }
    return 0;
  }

  /** Changes the window length, keeping the newest buckets (bucketing.go ResizeWindow, with the clock passed in). */
  resizeWindow(windowMs: number, nowMs: number): void {
    if (windowMs === this.windowMs) return;
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, was ${windowMs}`);
    const n = Math.ceil(windowMs / this.granularityMs);
    const next = new Array<number>(n).fill(0);
    let total = 0;
    if (this.truncate(nowMs) - this.lastWrite <= this.windowMs) {
      const oldN = this.buckets.length;
      let idx = this.index(this.lastWrite);
      for (let k = 0; k < Math.min(n, oldN); k++, idx--) {
        const v = this.buckets[this.slot(idx)] ?? 0;
        next[((idx % n) + n) % n] = v;
        total += v;
      }
      this.firstWrite = this.lastWrite - (oldN - 1) * this.granularityMs;
    } else {
      this.firstWrite = NEVER;
    }
    this.windowMs = windowMs;
    this.buckets = next;
    this.windowTotal = total;
  }

  /** Calls fn for each bucket that holds current data, oldest first (for tests and debugging). */
  forEachBucket(nowMs: number, fn: (bucketMs: number, value: number) => void): void {
    if (this.isEmpty(nowMs)) return;
    const last = this.index(this.lastWrite);
    const n = this.buckets.length;
    for (let i = last - n + 1; i <= last; i++) {
      const t = i * this.granularityMs;
      if (t < this.firstWrite) continue;
      fn(t, this.buckets[this.slot(i)] ?? 0);
    }
  }
}

// bucketing.go: the sum of weights reaches at least weightPrecision, and the coefficient never drops below
// minExponent (otherwise a long window degenerates into a plain average).
const WEIGHT_PRECISION = 0.9999;
const MIN_EXPONENT = 0.2;

export function smoothingCoefficient(numBuckets: number): number {
  return Math.max(1 - Math.pow(1 - WEIGHT_PRECISION, 1 / numBuckets), MIN_EXPONENT);
}

/**
 * Exponentially weighted average of the buckets, newest weighing most (`metric-aggregation-algorithm:
 * weighted-exponential`). Silent seconds since the last write decay the weights as zeros would.
 */
export class WeightedBuckets extends TimedBuckets {
  private smoothing: number;

  constructor(windowMs: number, granularityMs = 1000) {
    super(windowMs, granularityMs);
    this.smoothing = smoothingCoefficient(this.buckets.length);
  }

  get smoothingCoefficient(): number {
    return this.smoothing;
  }

  override windowAverage(nowMs: number): number {
    const now = this.truncate(nowMs);
    if (this.isEmpty(now)) return 0;
    const totalB = this.buckets.length;
    let numB = totalB;
    let multiplier = this.smoothing;
    if (now > this.lastWrite) {
      const numZ = Math.floor((now - this.lastWrite) / this.granularityMs);
      multiplier *= Math.pow(1 - this.smoothing, numZ);
      numB -= numZ;
    }
    const start = this.index(this.lastWrite);
    let ret = 0;
    for (let i = 0; i < numB; i++) {
      ret += (this.buckets[this.slot(start - i)] ?? 0) * multiplier;
      multiplier *= 1 - this.smoothing;
    }
    return ret;
  }

  override resizeWindow(windowMs: number, nowMs: number): void {
    super.resizeWindow(windowMs, nowMs);
    this.smoothing = smoothingCoefficient(this.buckets.length);
  }
}

// One period of an exact weighted split, computed once per distinct weight vector.
//
// Measure. For target i with share p_i, let D_i(k) = c_i(k) − k·p_i, where c_i(k) counts its picks among the first
// k requests. Over the window of requests a+1..b, target i gets (b − a)·p_i + D_i(b) − D_i(a). The schedule repeats
// with period L (the reduced weight sum), so D_i is periodic and the worst error over ALL windows of ANY length is
// exactly spread_i = max D_i − min D_i; `maxWindowError` is the largest spread_i, measured on the schedule itself.
//
// What is possible. Two targets: spread < 1, so every window gets floor or ceil of its exact share (a 10 % canary
// gets exactly 1 of every 10 consecutive requests). The largest-deficit rule achieves it: it keeps D_0 in [−½, ½).
// Three or more: "within one request on every window" is impossible for some weight sets, whatever the algorithm.
// For 1/48/51, a 51 % target kept within one request on every 2-window appears in every 2-window, so the 1 % target
// sits between two of them, and that 3-window holds no 48 % pick where 1.44 are due. What is always possible is
// at most 2 − 1/(n−1): Tijdeman (J. Combin. Theory A 15 (1973); "The chairman assignment problem", Discrete Math. 32
// (1980)) gives a sequence with |D_i(k)| ≤ 1 − 1/(2n−2) for all k, and its first L picks form a valid period
// (|D_i(L)| < 1 forces exactly w_i/G picks of each).
//
// Construction, all in integer arithmetic (D scaled by L), so it is deterministic:
//  1. largest deficit: pick argmax k·p_i − c_i. This IS nginx's smooth weighted round-robin (its current_weight_i
//     equals k·w_i − W·c_i). Optimal for two targets, so two targets stop here; often not for more (33/33/34 and
//     1/1/98 both reach 1.32).
//  2. band scheduling (the feasibility test of Steiner & Yeomans for level schedules): for a band width s and
//     per-target offsets g_i, "every D_i·L + g_i stays in [0, s]" makes each pick of target i a unit job with a
//     release time and a deadline, and earliest-deadline-first decides it exactly. First centred bands (g = s/2),
//     binary-searched on s: Tijdeman's sequence fits the centred band of width 2(1 − 1/(2n−2)), so this step alone
//     ends at or below 2 − 1/(n−1).
//  3. descent: centre each target's band on where the best schedule so far keeps D_i, try one unit narrower with
//     the offsets nudged by up to ±3, repeat while it improves. On every three-target split whose period is at most
//     25 (441 of them) this reaches the optimum found by exhaustive search; 33/33/34 and 1/1/98 get 0.99.
// It stops at the lower bound max_i(1 − gcd(w_i, L)/L), which no schedule beats (D_i takes L/gcd distinct values
// spaced gcd/L apart), and step 3 stops after a fixed amount of EDF work (about a millisecond).

export interface SplitSchedule {
  /** Reduced weights (divided by their gcd), in target order. */
  readonly weights: readonly number[];
  /** Target index of each request of one period; length = sum of `weights`. */
  readonly order: Uint8Array;
  /** Worst |count − N·share| over every window of N consecutive requests, any N, any target (in requests). */
  readonly maxWindowError: number;
}

/** Most targets a schedule takes (`order` is a Uint8Array); Knative percents allow at most 100 non-zero targets. */
export const MAX_SPLIT_TARGETS = 255;
/** Largest weight sum (the period, at most): Knative percents sum to 100; permille would fit. */
export const MAX_SPLIT_WEIGHT_SUM = 1000;

// Search effort, in EDF inner steps (runs × L × n): bounds one build to about a millisecond whatever the input.
const MAX_EDF_WORK = 200_000;
// Offsets tried around the recentred band in step 3: ±3 for up to three targets, narrowing as n grows so that the
// neighbourhood ((2r+1)^n offset vectors) stays within the work budget.
const MAX_NUDGE = 3;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

interface Measured {
  readonly order: Uint8Array;
  /** max_i (hi_i − lo_i): the worst target's spread of D_i, scaled by L. */
  readonly spread: number;
  /** Per target, min and max of D_i·L over a period (starting from D_i(0) = 0). */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/** Exact spread of every D_i over one period: O(L·n). */
function measure(m: readonly number[], L: number, order: Uint8Array): Measured {
  const n = m.length;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  let spread = 0;
  for (let i = 0; i < n; i++) {
    const mi = m[i] ?? 0;
    let d = 0;
    let max = 0;
    let min = 0;
    for (let k = 0; k < L; k++) {
      d += (order[k] === i ? L : 0) - mi;
      if (d > max) max = d;
      else if (d < min) min = d;
    }
    lo[i] = min;
    hi[i] = max;
    if (max - min > spread) spread = max - min;
  }
  return { order, spread, lo, hi };
}

function largestDeficit(m: readonly number[], L: number): Uint8Array {
  const n = m.length;
  const count = new Int32Array(n);
  const order = new Uint8Array(L);
  for (let k = 1; k <= L; k++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = k * (m[i] ?? 0) - L * (count[i] ?? 0);
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    count[best] = (count[best] ?? 0) + 1;
    order[k - 1] = best;
  }
  return order;
}

/**
 * Earliest-deadline-first for "D_i·L + g_i stays in [0, s]": pick j of target i may not come before
 * ceil((L·j + g_i − s)/m_i) nor after floor((L·(j−1) + g_i)/m_i) + 1. EDF is exact for unit jobs with integer
 * release times and deadlines on one machine, so failure means no schedule has this band and these offsets.
 */
function edf(m: readonly number[], L: number, s: number, g: Int32Array, out: Uint8Array, next: Int32Array): boolean {
  const n = m.length;
  next.fill(1);
  for (let k = 1; k <= L; k++) {
    let best = -1;
    let bestDeadline = Infinity;
    for (let i = 0; i < n; i++) {
      const mi = m[i] ?? 1;
      const j = next[i] ?? 1;
      if (j > mi) continue;
      const gi = g[i] ?? 0;
      if (Math.ceil((L * j + gi - s) / mi) > k) continue;
      const deadline = Math.min(L, Math.floor((L * (j - 1) + gi) / mi) + 1);
      if (deadline < k) return false;
      if (deadline < bestDeadline) {
        bestDeadline = deadline;
        best = i;
      }
    }
    if (best < 0) return false;
    out[k - 1] = best;
    next[best] = (next[best] ?? 1) + 1;
  }
  return true;
}

/** Build the schedule for positive integer weights (e.g. Knative percents). */
export function buildSplitSchedule(weights: readonly number[]): SplitSchedule {
  const n = weights.length;
  if (n === 0 || n > MAX_SPLIT_TARGETS) {
    throw new RangeError(`a split needs 1..${MAX_SPLIT_TARGETS} targets, got ${n}`);
  }
  let sum = 0;
  for (const w of weights) {
    if (!Number.isInteger(w) || w <= 0) throw new RangeError(`split weights must be positive integers, got ${String(w)}`);
    sum += w;
  }
  if (sum > MAX_SPLIT_WEIGHT_SUM) throw new RangeError(`split weights must sum to at most ${MAX_SPLIT_WEIGHT_SUM}, got ${sum}`);

  const G = weights.reduce(gcd);
  const m = weights.map((w) => w / G);
  const L = sum / G;
  const freeze = (order: Uint8Array, spread: number): SplitSchedule =>
    Object.freeze({ weights: Object.freeze(m), order, maxWindowError: spread / L });
  if (n === 1) return freeze(new Uint8Array(1), 0);

  let lowerBound = 0;
  for (const mi of m) lowerBound = Math.max(lowerBound, L - gcd(mi, L));

  // 1. Largest deficit.
  let best = measure(m, L, largestDeficit(m, L));
  if (best.spread <= lowerBound) return freeze(best.order, best.spread);

  const g = new Int32Array(n);
  const next = new Int32Array(n);
  const maxRuns = Math.max(1, Math.floor(MAX_EDF_WORK / (L * n)));
  let runs = 0;
  let scratch = new Uint8Array(L);
  // Every width tried is below the best spread, so a feasible one is always an improvement: only successes (at
  // most one per unit of spread gained) allocate.
  const attempt = (s: number): boolean => {
    runs++;
    if (!edf(m, L, s, g, scratch, next)) return false;
    best = measure(m, L, scratch);
    scratch = new Uint8Array(L);
    return true;
  };

  // 2. Centred bands, binary search on the width (bands nest as s grows, so feasibility is monotone in s). Not
  // budgeted: it takes at most log2(L) + 1 runs, and the guarantee rests on it.
  for (let lo = lowerBound, hi = best.spread - 1; lo <= hi; ) {
    const s = (lo + hi) >> 1;
    g.fill(s >> 1);
    if (attempt(s)) hi = s - 1;
    else lo = s + 1;
  }

  // 3. Descent: one unit narrower than the best so far, bands centred on the best schedule's, offsets nudged.
  let nudge = MAX_NUDGE;
  while (nudge > 1 && (2 * nudge + 1) ** n > maxRuns) nudge--;
  const side = 2 * nudge + 1;
  const combinations = side ** n;
  descent: while (best.spread > lowerBound && runs < maxRuns) {
    const s = best.spread - 1;
    const { lo, hi } = best;
    for (let code = 0; code < combinations && runs < maxRuns; code++) {
      // Digit i of `code` in base `side` is target i's nudge: 0, +1, −1, +2, −2, …
      let rest = code;
      for (let i = 0; i < n; i++) {
        const digit = rest % side;
        rest = (rest - digit) / side;
        const delta = digit % 2 === 1 ? (digit + 1) / 2 : -digit / 2;
        const centred = Math.round(s / 2 - ((lo[i] ?? 0) + (hi[i] ?? 0)) / 2);
        g[i] = Math.min(s, Math.max(0, centred + delta));
      }
      if (attempt(s)) continue descent;
    }
    break;
  }
  return freeze(best.order, best.spread);
}

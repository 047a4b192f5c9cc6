import { describe, expect, it } from 'vitest';
import { buildSplitSchedule } from './split-schedule.js';

/**
 * Oracle, independent of the schedule's own measure: repeat the period and count every window of every length
 * 1..maxLength from every start, returning the worst |count − N·share| in requests.
 */
function worstWindowError(weights: readonly number[], order: ArrayLike<number>, maxLength: number): number {
  const sum = weights.reduce((a, b) => a + b, 0);
  const L = order.length;
  let worst = 0;
  const prefix = new Int32Array(L + maxLength + 1);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    for (let k = 0; k < L + maxLength; k++) prefix[k + 1] = prefix[k]! + (order[k % L] === i ? 1 : 0);
    for (let a = 0; a < L; a++) {
      for (let n = 1; n <= maxLength; n++) {
        const err = Math.abs((prefix[a + n]! - prefix[a]!) * sum - n * w);
        if (err > worst) worst = err;
      }
    }
  }
  return worst / sum;
}

/** Picks of each target among `count` consecutive requests starting at `start`. */
function counts(n: number, order: ArrayLike<number>, start: number, count: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (let k = start; k < start + count; k++) c[order[k % order.length]!]!++;
  return c;
}

/** nginx's smooth weighted round-robin, as nginx writes it (ngx_http_upstream_get_peer). */
function nginxSwrr(weights: readonly number[], picks: number): number[] {
  const current = weights.map(() => 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let k = 0; k < picks; k++) {
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

/**
 * Whether any period for reduced weights `m` keeps every spread max D_i − min D_i (scaled by L) below `bound`:
 * depth-first over all sequences, rotations fixed by starting with target 0, cut as soon as a spread reaches it.
 */
function existsBetter(m: readonly number[], L: number, bound: number): boolean {
  const n = m.length;
  const c = new Int32Array(n);
  const d = new Int32Array(n);
  const hi = new Int32Array(n);
  const lo = new Int32Array(n);
  const step = (k: number): boolean => {
    if (k === L) return true;
    for (let i = 0; i < n; i++) {
      if (c[i]! >= m[i]! || (k === 0 && i !== 0)) continue;
      const saved = [d.slice(), hi.slice(), lo.slice()] as const;
      c[i]!++;
      let ok = true;
      for (let j = 0; j < n; j++) {
        d[j]! += (j === i ? L : 0) - m[j]!;
        hi[j] = Math.max(hi[j]!, d[j]!);
        lo[j] = Math.min(lo[j]!, d[j]!);
        if (hi[j]! - lo[j]! >= bound) ok = false;
      }
      if (ok && step(k + 1)) return true;
      c[i]!--;
      d.set(saved[0]);
      hi.set(saved[1]);
      lo.set(saved[2]);
    }
    return false;
  };
  return step(0);
}

/** max_i (max D_i − min D_i) over one period: the worst window error of a periodic order, in requests. */
function spreadOf(weights: readonly number[], order: readonly number[]): number {
  const sum = weights.reduce((a, b) => a + b, 0);
  let worst = 0;
  weights.forEach((w, i) => {
    let d = 0;
    let hi = 0;
    let lo = 0;
    for (const x of order) {
      d += (x === i ? sum : 0) - w;
      hi = Math.max(hi, d);
      lo = Math.min(lo, d);
    }
    worst = Math.max(worst, hi - lo);
  });
  return worst / sum;
}

function* compositions(parts: number, total: number): Generator<number[]> {
  if (parts === 1) {
    yield [total];
    return;
  }
  for (let first = 1; first <= total - (parts - 1); first++) {
    for (const rest of compositions(parts - 1, total - first)) yield [first, ...rest];
  }
}

// Tijdeman's bound doubled: what the construction guarantees for n targets (see split-schedule.ts).
const guaranteed = (n: number): number => 2 - 1 / (n - 1);

describe('buildSplitSchedule: the named cases', () => {
  it.each([
    // weights, expected worst window error (requests)
    { weights: [90, 10], error: 0.9 },
    { weights: [50, 50], error: 0.5 },
    { weights: [1, 99], error: 0.99 },
    { weights: [33, 33, 34], error: 0.99 },
    { weights: [1, 1, 98], error: 0.99 },
    { weights: [80, 10, 10], error: 0.9 },
    { weights: [100], error: 0 },
  ])('$weights: every window within $error of its share', ({ weights, error }) => {
    const s = buildSplitSchedule(weights);
    expect(s.maxWindowError).toBeCloseTo(error, 10);
    expect(s.maxWindowError).toBeLessThan(1);
    // Every window length 1..200 from every start (200 > two periods of 100).
    expect(worstWindowError(weights, s.order, 200)).toBeCloseTo(s.maxWindowError, 10);
    // 100 consecutive requests from any start give exactly the percents.
    if (weights.reduce((a, b) => a + b, 0) === 100) {
      for (let start = 0; start < 100; start++) expect(counts(weights.length, s.order, start, 100)).toEqual(weights);
    }
  });

  it('90/10: exactly 1 of every 10 consecutive requests goes to the 10 %', () => {
    const s = buildSplitSchedule([90, 10]);
    for (let start = 0; start < 100; start++) expect(counts(2, s.order, start, 10)).toEqual([9, 1]);
  });

  it('50/50 alternates', () => {
    const s = buildSplitSchedule([50, 50]);
    expect([...s.order]).toEqual([0, 1]);
  });

  it('1/48/51: no schedule keeps every window within one request, and this one stays under 1.5', () => {
    // Impossibility (split-schedule.ts): within one on every 2-window forces the 51 % target into every 2-window,
    // so the 1 % target sits between two of them and that 3-window has no 48 % pick where 1.44 are due.
    const s = buildSplitSchedule([1, 48, 51]);
    expect(s.maxWindowError).toBeGreaterThan(1);
    expect(s.maxWindowError).toBeLessThan(guaranteed(3));
    expect(worstWindowError([1, 48, 51], s.order, 200)).toBeCloseTo(s.maxWindowError, 10);
  });

  it('beats smooth weighted round-robin where SWRR misses one request (33/33/34, 1/1/98)', () => {
    for (const weights of [
      [33, 33, 34],
      [1, 1, 98],
    ]) {
      expect(worstWindowError(weights, nginxSwrr(weights, 100), 100)).toBeCloseTo(1.32, 10);
      expect(buildSplitSchedule(weights).maxWindowError).toBeLessThan(1);
    }
  });
});

describe('buildSplitSchedule: exhaustive over integer percents', () => {
  it('two targets, all 99 splits: every window gets floor or ceil of its share, and it is exactly nginx SWRR', () => {
    for (const weights of compositions(2, 100)) {
      const s = buildSplitSchedule(weights);
      expect(s.maxWindowError).toBeLessThan(1);
      expect(worstWindowError(weights, s.order, 200)).toBeCloseTo(s.maxWindowError, 10);
      const period = s.order.length;
      expect([...s.order]).toEqual(nginxSwrr(weights, period));
    }
  });

  it('three targets, all 4851 splits: windows 1..200 within 2 − 1/(n−1), the measure is exact, never worse than SWRR', () => {
    let withinOne = 0;
    let worst = 0;
    const failures: string[] = [];
    for (const weights of compositions(3, 100)) {
      const s = buildSplitSchedule(weights);
      const measured = worstWindowError(weights, s.order, 200);
      const swrr = spreadOf(weights, nginxSwrr(weights, 100));
      const exactCounts = [0, 37, 74].every((start) => counts(3, s.order, start, 100).join() === weights.join());
      if (Math.abs(measured - s.maxWindowError) > 1e-9 || measured >= guaranteed(3) || measured > swrr + 1e-9 || !exactCounts) {
        failures.push(`${weights.join('/')}: measured ${measured}, claimed ${s.maxWindowError}, swrr ${swrr}`);
      }
      if (measured <= 1) withinOne++;
      worst = Math.max(worst, measured);
    }
    expect(failures).toEqual([]);
    // Recorded so a regression in the search shows up (numbers from the commit that added this test).
    expect(withinOne).toBeGreaterThanOrEqual(303);
    expect(worst).toBeLessThanOrEqual(1.38);
  }, 60_000);

  it('three targets, every split whose period is at most 25 (441): exhaustive search finds no better schedule', () => {
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    let checked = 0;
    for (const weights of compositions(3, 100)) {
      const G = weights.reduce(gcd);
      const L = 100 / G;
      if (L > 25) continue;
      checked++;
      const s = buildSplitSchedule(weights);
      const m = weights.map((w) => w / G);
      expect(existsBetter(m, L, Math.round(s.maxWindowError * L))).toBe(false);
    }
    expect(checked).toBe(441);
  }, 60_000);

  it('four to six targets, deterministic sample: within 2 − 1/(n−1), measure exact', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let t = 0; t < 300; t++) {
      const n = 4 + (t % 3);
      const cuts = new Set<number>();
      while (cuts.size < n - 1) cuts.add(1 + Math.floor(rnd() * 99));
      const edges = [0, ...[...cuts].sort((a, b) => a - b), 100];
      const weights = edges.slice(1).map((e, i) => e - edges[i]!);
      const s = buildSplitSchedule(weights);
      const measured = worstWindowError(weights, s.order, 100);
      expect(measured).toBeCloseTo(s.maxWindowError, 10);
      expect(measured).toBeLessThan(guaranteed(n));
    }
  }, 60_000);
});

describe('buildSplitSchedule: inputs', () => {
  it('reduces by the gcd: 20/80 has period 5', () => {
    const s = buildSplitSchedule([20, 80]);
    expect(s.weights).toEqual([1, 4]);
    expect(s.order).toHaveLength(5);
  });

  it('is deterministic', () => {
    expect([...buildSplitSchedule([7, 29, 64]).order]).toEqual([...buildSplitSchedule([7, 29, 64]).order]);
  });

  it.each([
    { weights: [], message: 'a split needs 1..255 targets, got 0' },
    { weights: [50, 0, 50], message: 'split weights must be positive integers, got 0' },
    { weights: [50.5, 49.5], message: 'split weights must be positive integers, got 50.5' },
    { weights: [600, 600], message: 'split weights must sum to at most 1000, got 1200' },
  ])('refuses $weights', ({ weights, message }) => {
    expect(() => buildSplitSchedule(weights)).toThrow(message);
  });
});

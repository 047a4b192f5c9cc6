// The per-route picker of the default host's split: built once per route version, `pick()` on every request.

import { buildSplitSchedule, type SplitSchedule } from './split-schedule.js';

/**
 * An exact weighted split (see split-schedule.ts for the guarantee and its limits). `pick()` walks a precomputed
 * period: O(1), no allocation, no randomness. The state is one position, so a picker shared by two route table
 * versions keeps its exactness across the swap.
 */
export class SplitPicker {
  /** Weights as given, in target order. */
  readonly weights: readonly number[];
  /** Worst |count − N·share| over any N consecutive picks, in requests (< 1 whenever there are two targets). */
  readonly maxWindowError: number;
  /** Picks after which the sequence repeats. */
  readonly period: number;
  private readonly order: Uint8Array;
  private position = 0;

  constructor(weights: readonly number[], schedule: SplitSchedule = buildSplitSchedule(weights)) {
    if (schedule.weights.length !== weights.length) {
      throw new RangeError(`schedule has ${schedule.weights.length} targets, weights have ${weights.length}`);
    }
    this.weights = Object.freeze(weights.slice());
    this.order = schedule.order;
    this.period = schedule.order.length;
    this.maxWindowError = schedule.maxWindowError;
  }

  /** Index of the target for the next request. */
  pick(): number {
    const p = this.position;
    this.position = p + 1 === this.period ? 0 : p + 1;
    return this.order[p] ?? 0;
  }
}

// Deliveries waiting for their retry time, and the one timer (armed for the earliest) that hands them back to the
// engine when they are due, instead of one setTimeout per delivery.

import { DueHeap, type Due } from './heap.js';

export class RetrySchedule<T extends Due> {
  readonly #heap = new DueHeap<T>();
  readonly #now: () => number;
  readonly #onDue: (due: readonly T[]) => void;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;
  #stopped = false;

  /** `onDue` gets, at each wake-up, every item whose `dueMs` has passed, earliest first. */
  constructor(now: () => number, onDue: (due: readonly T[]) => void) {
    this.#now = now;
    this.#onDue = onDue;
  }

  /** Adds `item`; call `arm()` after the last push of a batch. */
  push(item: T): void {
    this.#heap.push(item);
  }

  /** (Re)arms the timer for the earliest item, unless it is already armed as early or the schedule is stopped. */
  arm(): void {
    const next = this.#heap.peek();
    if (next === undefined || this.#stopped) return;
    if (this.#timer !== undefined && this.#timerDue <= next.dueMs) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDue = next.dueMs;
    this.#timer = setTimeout(() => this.#wake(), Math.max(1, next.dueMs - this.#now()));
  }

  /** No more wake-ups (the items stay: the store keeps their retry times for the next start). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #wake(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = this.#now();
    const due: T[] = [];
    for (let d = this.#heap.peek(); d !== undefined && d.dueMs <= now; d = this.#heap.peek()) {
      this.#heap.pop();
      due.push(d);
    }
    this.#onDue(due);
    this.arm();
  }
}

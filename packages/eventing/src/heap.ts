// A binary min-heap by `dueMs`: deliveries waiting for their retry, so one timer (armed for the earliest) serves
// them all instead of one setTimeout each.

export interface Due {
  dueMs: number;
}

export class DueHeap<T extends Due> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(x: T): void {
    const a = this.#items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p];
      if (parent === undefined || parent.dueMs <= x.dueMs) break;
      a[i] = parent;
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const left = a[l];
      const right = a[r];
      let c = l;
      let child = left;
      if (right !== undefined && left !== undefined && right.dueMs < left.dueMs) {
        c = r;
        child = right;
      }
      if (child === undefined || child.dueMs >= last.dueMs) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }

  /** Removes every item for which `drop` is true (rare: a trigger deleted). */
  removeWhere(drop: (x: T) => boolean): void {
    const keep = this.#items.filter((x) => !drop(x));
    this.#items.length = 0;
    for (const x of keep) this.push(x);
  }
}

import { describe, expect, it } from 'vitest';
import { DueHeap } from './heap.js';

describe('DueHeap', () => {
  it('pops in due order whatever the push order', () => {
    const h = new DueHeap<{ dueMs: number; id: number }>();
    const dues = [50, 10, 40, 10, 30, 20, 60, 0];
    dues.forEach((d, id) => h.push({ dueMs: d, id }));
    const out: number[] = [];
    for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x.dueMs);
    expect(out).toEqual([...dues].sort((a, b) => a - b));
    expect(h.size).toBe(0);
  });
  it('removeWhere keeps the rest ordered', () => {
    const h = new DueHeap<{ dueMs: number }>();
    for (const d of [5, 3, 9, 1, 7]) h.push({ dueMs: d });
    h.removeWhere((x) => x.dueMs === 3 || x.dueMs === 9);
    expect([h.pop()?.dueMs, h.pop()?.dueMs, h.pop()?.dueMs, h.pop()]).toEqual([1, 5, 7, undefined]);
  });
});

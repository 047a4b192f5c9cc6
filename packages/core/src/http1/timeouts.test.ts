import { describe, expect, it } from 'vitest';
import type { Timeouts } from '../http/exchange.js';
import { timeoutDue } from './timeouts.js';

const t = (totalMs: number, responseStartMs: number, idleMs: number): Timeouts => ({ totalMs, responseStartMs, idleMs, message: 'm' });

describe('timeoutDue', () => {
  it.each([
    // [timeouts, elapsed, responseStarted, sinceWrite, due]
    [t(0, 0, 0), 1e9, false, 1e9, false],
    [t(1000, 0, 0), 999, true, 0, false],
    [t(1000, 0, 0), 1000, true, 0, true],
    [t(0, 500, 0), 500, false, 500, true],
    [t(0, 500, 0), 5000, true, 5000, false],
    [t(0, 0, 300), 299, false, 1e9, false],
    [t(0, 0, 300), 300, false, 0, true],
    [t(0, 0, 300), 5000, true, 299, false],
    [t(0, 0, 300), 5000, true, 300, true],
    [t(10_000, 2000, 300), 1000, true, 100, false],
  ] as const)('%j elapsed=%i started=%s sinceWrite=%i → %s', (timeouts, elapsed, started, sinceWrite, due) => {
    expect(timeoutDue(timeouts, elapsed, started, sinceWrite)).toBe(due);
  });
});

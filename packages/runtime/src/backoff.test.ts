import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it.each([
    [0, 0],
    [1, 100],
    [2, 200],
    [3, 400],
    [7, 6400],
    [8, 10_000],
    [1000, 10_000],
  ])('after %i failures waits %i ms (defaults)', (failures, want) => {
    expect(backoffDelayMs(failures, DEFAULT_BACKOFF)).toBe(want);
  });
});

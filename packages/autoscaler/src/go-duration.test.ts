import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['60s', 60_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['365h', 365 * 3_600_000],
    ['1m9s82ms', 69_082],
    ['42.5s', 42_500],
    ['.5s', 500],
    ['5.s', 5000],
    ['-42s', -42_000],
    ['+3s', 3000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2ns', 0.000002],
    ['', undefined],
    ['5', undefined],
    ['s', undefined],
    ['.s', undefined],
    ['1d', undefined],
    ['twenty-two-minutes', undefined],
    ['jerry-was-a-racecar-driver', undefined],
    ['1 s', undefined],
    ['99999999999h', undefined],
  ])('%j → %j', (text, want) => {
    expect(parseGoDuration(text)).toBe(want);
  });
});

describe('formatGoDuration (Go Duration.String)', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [6000, '6s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [1500, '1.5s'],
    [-42_000, '-42s'],
  ])('%d ms → %s', (ms, want) => {
    expect(formatGoDuration(ms)).toBe(want);
  });
});

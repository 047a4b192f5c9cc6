import { describe, expect, it } from 'vitest';
import { humanDuration, table } from './format.js';

describe('humanDuration (apimachinery HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000, '3h'],
    [3 * 3_600_000 + 60_000, '3h1m'],
    [8 * 3_600_000, '8h'],
    [47 * 3_600_000, '47h'],
    [2 * 86_400_000, '2d'],
    [2 * 86_400_000 + 3_600_000, '2d1h'],
    [10 * 86_400_000, '10d'],
  ])('%d ms → %s', (ms, want) => expect(humanDuration(ms)).toBe(want));
});

describe('table', () => {
  it('pads columns and trims trailing space', () => {
    expect(table(['NAME', 'READY'], [['hello', 'True'], ['a', '']])).toBe('NAME    READY\nhello   True\na\n');
  });
});

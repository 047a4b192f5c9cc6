// serving: pkg/autoscaler/metrics/sample_size_test.go, plus the examples in docs/contract/activator-autoscaler-routing.md §2.3.
import { describe, expect, it } from 'vitest';
import { populationMeanSampleSize } from './sample-size.js';

describe('populationMeanSampleSize', () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 4],
    [10, 7],
    [100, 14],
    [1000, 16],
  ])('%i pods → scrape %i', (population, want) => {
    expect(populationMeanSampleSize(population)).toBe(want);
  });
});

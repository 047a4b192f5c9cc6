// How many pods to scrape out of N (serving: pkg/autoscaler/metrics/sample_size.go): all of them up to 3, else the
// sample size for estimating a population mean at 95 % confidence, margin of error 5, assumed variance 100.

// 1.96² × 100 / 5² = 15.3664, the sample size for an unbounded population.
const UNBOUNDED_SAMPLE = (1.96 * 1.96 * 100) / (5 * 5);

export function populationMeanSampleSize(population: number): number {
  if (population <= 3) return Math.max(population, 0);
  return Math.ceil((population * UNBOUNDED_SAMPLE) / (population + UNBOUNDED_SAMPLE - 1));
}

import { describe, expect, it } from 'vitest';
import { backoffMs, deliveryProblems, isRetryable, parseIsoDuration, retryPolicyOf } from './delivery.js';

describe('ISO-8601 durations', () => {
  it.each([
    ['PT0.2S', 200],
    ['PT1S', 1000],
    ['PT1M30S', 90_000],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
    ['P2W', 1_209_600_000],
    ['PT0,5S', 500],
  ])('%s = %d ms', (s, ms) => expect(parseIsoDuration(s)).toBe(ms));
  it.each(['', 'P', 'PT', '1S', 'PT1X', 'T1S', '0.2s'])('%j does not parse', (s) => expect(parseIsoDuration(s)).toBeUndefined());
});

describe('retry policy', () => {
  it('retries what Knative SelectiveRetry retries', () => {
    const retried = [0, 404, 408, 409, 429, 500, 502, 503, 504].filter(isRetryable);
    expect(retried).toEqual([0, 404, 408, 409, 429, 500, 502, 503, 504]);
    expect([200, 301, 400, 401, 403, 405, 410, 413, 422].filter(isRetryable)).toEqual([]);
  });
  it('exponential and linear backoff', () => {
    const exp = retryPolicyOf({ retry: 5, backoffPolicy: 'exponential', backoffDelay: 'PT0.1S' });
    expect([1, 2, 3, 4].map((n) => backoffMs(exp, n, undefined))).toEqual([100, 200, 400, 800]);
    const lin = retryPolicyOf({ retry: 5, backoffPolicy: 'linear', backoffDelay: 'PT0.1S' });
    expect([1, 2, 3].map((n) => backoffMs(lin, n, undefined))).toEqual([0, 100, 200]);
  });
  it('honours Retry-After only with retryAfterMax, capped by it', () => {
    expect(backoffMs(retryPolicyOf({ retry: 1, backoffDelay: 'PT0.1S' }), 1, 5000)).toBe(100);
    expect(backoffMs(retryPolicyOf({ retry: 1, backoffDelay: 'PT0.1S', retryAfterMax: 'PT2S' }), 1, 5000)).toBe(2000);
  });
  it('defaults to Knative broker defaults', () => {
    expect(retryPolicyOf(undefined)).toMatchObject({ retry: 10, policy: 'exponential', delayMs: 200 });
  });
  it('reports every problem with its path', () => {
    expect(deliveryProblems({ retry: -1, backoffDelay: 'soon', timeout: 'PT1S' }, 'spec.delivery')).toEqual([
      { message: 'invalid value: -1', path: 'spec.delivery.retry' },
      { message: 'invalid value: soon', path: 'spec.delivery.backoffDelay' },
    ]);
  });
});

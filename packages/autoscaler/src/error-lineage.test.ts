import { ConfigError, KDP_ERRORS, KdpBaseError } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { AutoscalingValidationError, ScrapeError } from './errors.js';

describe('autoscaler errors in the kdp lineage', () => {
  it('AutoscalingValidationError is core\'s ConfigError: lines, then the subject', () => {
    const e = new AutoscalingValidationError(['expected 6s <= 1s <= 1h0m0s: autoscaling.knative.dev/window'], 'revision autoscaling settings');
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('AutoscalingValidationError');
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(e.message).toBe('invalid revision autoscaling settings:\n  expected 6s <= 1s <= 1h0m0s: autoscaling.knative.dev/window');
  });

  it('ScrapeError carries KDP_ERR_SCRAPE, its reason, status and cause', () => {
    const low = new Error('ECONNREFUSED');
    const e = new ScrapeError('status', 'GET http://10.0.0.1:9090/metrics: 500', { status: 500, cause: low });
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e).not.toBeInstanceOf(ConfigError);
    expect(e.name).toBe('ScrapeError');
    expect(e.code).toBe('KDP_ERR_SCRAPE');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.reason).toBe('status');
    expect(e.status).toBe(500);
    expect(e.cause).toBe(low);
    expect(e.message).toBe('GET http://10.0.0.1:9090/metrics: 500');
    expect(new ScrapeError('timeout', 'timed out').status).toBeUndefined();
  });
});

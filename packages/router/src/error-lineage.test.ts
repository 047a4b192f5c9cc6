import { ConfigError, KDP_ERRORS, KdpBaseError } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { RouteTableError, TrafficValidationError } from './errors.js';

describe('router errors in the kdp lineage', () => {
  it('RouteTableError is core\'s ConfigError with the route table input as its subject', () => {
    const e = new RouteTableError(['routes[0].host: required']);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('RouteTableError');
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(e.status).toBe(500);
    expect(e.message).toBe('invalid route table input:\n  routes[0].host: required');
  });

  it('TrafficValidationError keeps Knative\'s text and status 400; a KdpBaseError, not a list of lines', () => {
    const e = new TrafficValidationError([{ message: 'missing field(s)', paths: ['spec.traffic[0].percent'] }]);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e).not.toBeInstanceOf(ConfigError);
    expect(e.name).toBe('TrafficValidationError');
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.status).toBe(400);
    expect(e.message).toBe('missing field(s): spec.traffic[0].percent');
  });
});

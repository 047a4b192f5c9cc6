import { ConfigError, KDP_ERRORS, KdpBaseError } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { RuntimeConfigError } from './errors.js';

describe('runtime errors in the kdp lineage', () => {
  it('RuntimeConfigError is core\'s ConfigError: lines, then the subject', () => {
    const e = new RuntimeConfigError(['containerConcurrency: must be >= 0', 'command: required'], 'revision default/hello-00001');
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('RuntimeConfigError');
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.status).toBe(500);
    expect(e.lines).toEqual(['containerConcurrency: must be >= 0', 'command: required']);
    expect(e.message).toBe('invalid revision default/hello-00001:\n  containerConcurrency: must be >= 0\n  command: required');
  });
});

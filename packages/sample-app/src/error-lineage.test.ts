import { ConfigError, KDP_ERRORS, KdpBaseError } from '@kdp/core/errors';
import { describe, expect, it } from 'vitest';
import { SampleAppConfigError } from './config.js';

describe('sample app errors in the kdp lineage', () => {
  it('SampleAppConfigError is core\'s ConfigError with a code of its own; `problems` are its lines', () => {
    const e = new SampleAppConfigError(['PORT must be an integer in 0..65535, got "x"']);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('SampleAppConfigError');
    expect(e.code).toBe('KDP_ERR_SAMPLE_APP_CONFIG');
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.problems).toBe(e.lines);
    expect(e.message).toBe('invalid sample app configuration:\n  PORT must be an integer in 0..65535, got "x"');
  });
});

import { describe, expect, it } from 'vitest';
import { readSampleAppConfig, SampleAppConfigError, type Env } from './config.js';

describe('readSampleAppConfig', () => {
  it.each<[string, Env, object]>([
    ['defaults', {}, { port: 8080, host: '127.0.0.1', target: 'World' }],
    ['PORT', { PORT: '9000' }, { port: 9000 }],
    ['PORT 0 (ephemeral)', { PORT: '0' }, { port: 0 }],
    ['empty PORT means default', { PORT: '' }, { port: 8080 }],
    ['HOST', { HOST: '0.0.0.0' }, { host: '0.0.0.0' }],
    ['TARGET', { TARGET: 'Go Sample v1' }, { target: 'Go Sample v1' }],
    ['K_REVISION', { K_REVISION: 'hello-00001' }, { revision: 'hello-00001' }],
  ])('%s', (_name, env, expected) => {
    expect(readSampleAppConfig(env)).toMatchObject(expected);
  });

  it('leaves revision unset when K_REVISION is empty', () => {
    expect(readSampleAppConfig({ K_REVISION: '' })).not.toHaveProperty('revision');
  });

  it('freezes the result', () => {
    expect(Object.isFrozen(readSampleAppConfig({}))).toBe(true);
  });

  it('reports every problem at once', () => {
    let caught: unknown;
    try {
      readSampleAppConfig({ PORT: '70000', K_REVISION: 'a\r\nb' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SampleAppConfigError);
    const err = caught as SampleAppConfigError;
    expect(err.code).toBe('KDP_ERR_SAMPLE_APP_CONFIG');
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toContain('PORT');
    expect(err.problems[1]).toContain('K_REVISION');
  });

  it.each(['abc', '-1', '65536', '8080x', '1e3'])('rejects PORT=%s', (port) => {
    expect(() => readSampleAppConfig({ PORT: port })).toThrow(/PORT must be an integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, KDP_ERRORS, KdpBaseError, KdpError, type KdpErrorCode } from './errors.js';
import { StatDecodeError } from './stat-proto.js';

// The root of the lineage: every kdp error, in every package, is a KdpBaseError with a catalogued code. Each package
// has an error-lineage.test.ts like this one for its own classes.

class ExampleError extends KdpBaseError {
  readonly code = 'KDP_ERR_STORE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExampleError';
  }
}

describe('KdpBaseError', () => {
  it('gives a subclass the Error basics: message, ES2022 cause, stack, prototype chain', () => {
    const low = new Error('EACCES');
    const e = new ExampleError('cannot write state.json', { cause: low });
    expect(e).toBeInstanceOf(ExampleError);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ExampleError');
    expect(e.code).toBe('KDP_ERR_STORE');
    expect(e.message).toBe('cannot write state.json');
    expect(e.cause).toBe(low);
    expect(e.stack).toMatch(/^ExampleError: cannot write state\.json\n/u);
    expect(Object.prototype.toString.call(e)).toBe('[object Error]');
  });

  it('tells a kdp error from any other error', () => {
    expect(new TypeError('x')).not.toBeInstanceOf(KdpBaseError);
    expect(new ExampleError('x')).toBeInstanceOf(KdpBaseError);
  });
});

describe("core's error classes", () => {
  it.each<[string, () => KdpBaseError, string, KdpErrorCode, string]>([
    ['KdpError', () => new KdpError('queue-full'), 'KdpError', 'KDP_ERR_QUEUE_FULL', 'pending request queue full'],
    ['ConfigError', () => new ConfigError(['A: required but not set']), 'ConfigError', 'KDP_ERR_CONFIG', 'invalid configuration:\n  A: required but not set'],
    ['StatDecodeError', () => new StatDecodeError('truncated varint'), 'StatDecodeError', 'KDP_ERR_STAT_DECODE', 'truncated varint'],
  ])('%s: name, catalogued code, message, instanceof KdpBaseError', (_label, make, name, code, message) => {
    const e = make();
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    expect(e.message).toBe(message);
  });
});

describe('ConfigError: lines first, then the subject', () => {
  it('words the message `invalid <subject>:` and lists the lines, indented', () => {
    const e = new ConfigError(['PORT: invalid integer "x"', 'HOST: required but not set'], 'sample app configuration');
    expect(e.subject).toBe('sample app configuration');
    expect(e.message).toBe('invalid sample app configuration:\n  PORT: invalid integer "x"\n  HOST: required but not set');
    expect(e.status).toBe(500);
  });

  it('defaults the subject to `configuration`', () => {
    const e = new ConfigError(['A: x']);
    expect(e.subject).toBe('configuration');
    expect(e.message).toBe('invalid configuration:\n  A: x');
  });

  it('keeps its name and code through a subclass with the same arguments', () => {
    class PartConfigError extends ConfigError {
      constructor(lines: readonly string[], subject = 'part options') {
        super(lines, subject);
        this.name = 'PartConfigError';
      }
    }
    const e = new PartConfigError(['size: must be > 0']);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e.name).toBe('PartConfigError');
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(e.lines).toEqual(['size: must be > 0']);
    expect(e.message).toBe('invalid part options:\n  size: must be > 0');
  });
});

import { describe, expect, it } from 'vitest';
import { EnvReader, parseGoBool, parseGoInt, parseGoInt64 } from './env.js';
import { ConfigError } from './errors.js';

describe('parseGoInt (Go strconv.ParseInt(s, 0, 64))', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['1', 1],
    ['+1', 1],
    ['-1', -1],
    ['-0', 0],
    ['100', 100],
    ['0x10', 16],
    ['0X1f', 31],
    ['-0xff', -255],
    ['0o17', 15],
    ['0O17', 15],
    ['0b101', 5],
    ['0B11', 3],
    ['010', 8], // a bare leading 0 means octal in Go
    ['00', 0],
    ['1_000', 1000],
    ['0x_1f', 31],
    ['0_7', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ['-9007199254740991', -Number.MAX_SAFE_INTEGER],
  ])('%s → %i', (s, want) => {
    expect(parseGoInt(s)).toBe(want);
  });

  it.each<[string, RegExp]>([
    ['', /invalid/],
    ['+', /invalid/],
    ['-', /invalid/],
    ['abc', /invalid/],
    ['1.5', /invalid/],
    ['1e3', /invalid/],
    [' 1', /invalid/],
    ['1 ', /invalid/],
    ['08', /invalid/],
    ['0x', /invalid/],
    ['0b', /invalid/],
    ['0b2', /invalid/],
    ['0xg', /invalid/],
    ['_1', /invalid/],
    ['1_', /invalid/],
    ['1__0', /invalid/],
    ['+-1', /invalid/],
    ['٣', /invalid/],
    ['9007199254740992', /out of range/],
    ['0x7fffffffffffffff', /out of range/],
  ])('%j is refused (%s)', (s, reason) => {
    expect(parseGoInt(s)).toMatch(reason);
  });
});

describe('parseGoInt64 (exact int64, Go errors)', () => {
  it('holds the int64 limits exactly and refuses one past them with range', () => {
    expect(parseGoInt64('9223372036854775807')).toEqual({ ok: true, value: 2n ** 63n - 1n });
    expect(parseGoInt64('-0x8000000000000000')).toEqual({ ok: true, value: -(2n ** 63n) });
    expect(parseGoInt64('0x8000000000000000')).toEqual({ ok: false, error: 'range' });
    expect(parseGoInt64('-9223372036854775809')).toEqual({ ok: false, error: 'range' });
  });

  it('reports an overflow before a later syntax error, as Go does', () => {
    expect(parseGoInt64('99999999999999999999x')).toEqual({ ok: false, error: 'range' });
    expect(parseGoInt64('9007199254740993x')).toEqual({ ok: false, error: 'syntax' });
    expect(parseGoInt64('0x_')).toEqual({ ok: false, error: 'syntax' });
  });

  it('agrees with parseGoInt wherever a number holds the value', () => {
    for (const s of ['0', '-0', '010', '0B11', '0x_1f', '1_000', '-9007199254740991']) {
      const exact = parseGoInt64(s);
      expect(exact.ok && Number(exact.value)).toBe(parseGoInt(s));
    }
  });
});

describe('parseGoBool (Go strconv.ParseBool)', () => {
  it.each([
    ['1', true],
    ['t', true],
    ['T', true],
    ['TRUE', true],
    ['true', true],
    ['True', true],
    ['0', false],
    ['f', false],
    ['F', false],
    ['FALSE', false],
    ['false', false],
    ['False', false],
    ['', undefined],
    ['yes', undefined],
    ['tRUE', undefined],
    ['on', undefined],
    [' true', undefined],
  ])('%j → %s', (s, want) => {
    expect(parseGoBool(s)).toBe(want);
  });
});

describe('EnvReader', () => {
  it.each<[string, Record<string, string>, { required?: boolean; default?: string }, string, string[]]>([
    ['present', { X: 'v' }, {}, 'v', []],
    ['present and empty is a value', { X: '' }, { required: true }, '', []],
    ['absent, default', {}, { default: 'd' }, 'd', []],
    ['absent, no default → zero value', {}, {}, '', []],
    ['absent, required', {}, { required: true }, '', ['X: required but not set']],
  ])('string: %s', (_name, env, opts, want, problems) => {
    const r = new EnvReader(env);
    expect(r.string('X', opts)).toBe(want);
    expect(r.problems).toEqual(problems);
  });

  it.each<[string, Record<string, string>, Parameters<EnvReader['int']>[1], number, string[]]>([
    ['decimal', { N: '42' }, {}, 42, []],
    ['hex', { N: '0x10' }, {}, 16, []],
    ['absent, default', {}, { default: 300 }, 300, []],
    ['absent → 0', {}, {}, 0, []],
    ['absent, required', {}, { required: true, default: 7 }, 7, ['N: required but not set']],
    ['present but empty fails even if not required', { N: '' }, { default: 5 }, 5, ['N: set but empty; want an integer']],
    ['garbage', { N: 'ten' }, { default: 1 }, 1, ['N: invalid integer: "ten"']],
    ['below min', { N: '-1' }, { min: 0 }, 0, ['N: must be >= 0, got -1']],
    ['above max', { N: '70000' }, { max: 65535, default: 8080 }, 8080, ['N: must be <= 65535, got 70000']],
    ['at the bounds', { N: '65535' }, { min: 1, max: 65535 }, 65535, []],
    [
      'long garbage is cut in the message',
      { N: 'x'.repeat(100) },
      {},
      0,
      [`N: invalid integer: "${'x'.repeat(64)}…"`],
    ],
  ])('int: %s', (_name, env, opts, want, problems) => {
    const r = new EnvReader(env);
    expect(r.int('N', opts)).toBe(want);
    expect(r.problems).toEqual(problems);
  });

  it.each<[string, Record<string, string>, boolean, boolean, string[]]>([
    ['true', { B: 'true' }, false, true, []],
    ['T', { B: 'T' }, false, true, []],
    ['0', { B: '0' }, true, false, []],
    ['absent, default true', {}, true, true, []],
    ['absent, default false', {}, false, false, []],
    ['present but empty', { B: '' }, true, true, ['B: set but empty; want a boolean']],
    [
      'yes is not Go',
      { B: 'yes' },
      false,
      false,
      ['B: invalid boolean (want one of 1,t,T,TRUE,true,True,0,f,F,FALSE,false,False): "yes"'],
    ],
  ])('bool: %s', (_name, env, fallback, want, problems) => {
    const r = new EnvReader(env);
    expect(r.bool('B', fallback)).toBe(want);
    expect(r.problems).toEqual(problems);
  });

  const port = (v: unknown): { port: number } => {
    if (typeof v !== 'object' || v === null || !('port' in v) || typeof v.port !== 'number') {
      throw new Error('want {"port": number}');
    }
    return { port: v.port };
  };

  it.each<[string, Record<string, string>, { port: number } | undefined, string[]]>([
    ['valid', { J: '{"port":8080}' }, { port: 8080 }, []],
    ['absent', {}, undefined, []],
    ['empty means defaults', { J: '' }, undefined, []],
    ['not JSON', { J: '{port' }, undefined, ['J: invalid JSON: ']],
    ['fails validation', { J: '{"port":"x"}' }, undefined, ['J: want {"port": number}']],
  ])('json: %s', (_name, env, want, problems) => {
    const r = new EnvReader(env);
    expect(r.json('J', port)).toEqual(want);
    expect(r.problems.length).toBe(problems.length);
    r.problems.forEach((p, i) => expect(p.startsWith(problems[i]!)).toBe(true));
  });

  it('collects every problem, then throws one ConfigError with all lines', () => {
    const r = new EnvReader({ CONTAINER_CONCURRENCY: 'x', ENABLE_X: 'maybe', OBS: '[' });
    r.int('CONTAINER_CONCURRENCY', { required: true });
    r.string('SERVING_POD', { required: true });
    r.bool('ENABLE_X', false);
    r.json('OBS', (v) => v);
    r.problem('USER_PORT', 'must differ from QUEUE_SERVING_PORT');
    expect(r.problems.map((p) => p.split(':')[0])).toEqual([
      'CONTAINER_CONCURRENCY',
      'SERVING_POD',
      'ENABLE_X',
      'OBS',
      'USER_PORT',
    ]);
    let caught: unknown;
    try {
      r.throwIfProblems();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.code).toBe('KDP_ERR_CONFIG');
    expect(err.lines).toEqual(r.problems);
    for (const line of err.lines) {
      expect(line).toMatch(/^[A-Z_]+: \S/);
      expect(line).not.toContain('\n');
    }
  });

  it('does not throw without problems', () => {
    const r = new EnvReader({ A: '1' });
    r.int('A', { required: true });
    expect(() => r.throwIfProblems()).not.toThrow();
  });
});

describe('EnvReader extensions for a service', () => {
  it('words its own problems as told, keeping the default for what is not given', () => {
    const env = { E: '', S: '08', R: '0x8000000000000000', U: '0x7fffffffffffffff', B: 'on', F: '' };
    const r = new EnvReader(env, {
      wording: {
        emptyInt: 'empty int',
        badInt: (raw, error) => `bad ${error} ${raw}`,
        unsafeInt: (raw, value) => `unsafe ${raw} ${String(value)}`,
        badBool: (raw) => `bad bool ${raw}`,
      },
    });
    expect([r.int('E', { default: 3 }), r.int('S'), r.int('R'), r.int('U'), r.bool('B', true), r.bool('F', true)]).toEqual([
      3, 0, 0, 0, true, true,
    ]);
    expect(r.problems).toEqual([
      'E: empty int',
      'S: bad syntax 08',
      'R: bad range 0x8000000000000000',
      'U: unsafe 0x7fffffffffffffff 9223372036854775807',
      'B: bad bool on',
      'F: set but empty; want a boolean',
    ]);
  });

  it('int: check runs after the bounds; its reason is the problem and the default is returned', () => {
    const even = (n: number): string | undefined => (n % 2 === 0 ? undefined : `${String(n)} is odd`);
    const r = new EnvReader({ A: '4', B: '3', C: '-1' });
    expect(r.int('A', { check: even })).toBe(4);
    expect(r.int('B', { default: 8, check: even })).toBe(8);
    expect(r.int('C', { min: 0, check: even })).toBe(0);
    expect(r.problems).toEqual(['B: 3 is odd', 'C: must be >= 0, got -1']);
  });

  it('lookup gives the raw value, undefined when absent, and records nothing', () => {
    const r = new EnvReader({ A: '', B: ' x ' });
    expect([r.lookup('A'), r.lookup('B'), r.lookup('C')]).toEqual(['', ' x ', undefined]);
    expect(r.problems).toEqual([]);
  });

  it('throwIfProblems(subject) names the subject and counts the problems', () => {
    const r = new EnvReader({});
    r.string('A', { required: true });
    r.string('B', { required: true });
    expect(() => r.throwIfProblems('queue-proxy')).toThrow(
      'invalid queue-proxy configuration (2 problem(s)):\n  A: required but not set\n  B: required but not set',
    );
    expect(() => r.throwIfProblems()).toThrow(/^invalid configuration:\n {2}A: /u);
  });
});

describe('EnvReader problem lines', () => {
  it('folds a multi-line validator message into one line', () => {
    const r = new EnvReader({ J: '{}' });
    r.json('J', () => {
      throw new Error('first\n  second\r\nthird');
    });
    expect(r.problems).toEqual(['J: first second third']);
  });
});

import { describe, expect, it } from 'vitest';
import { intFlag, parse, parseKeyValueEdits, parsePairs, splitCommandLine, UsageError } from './args.js';

describe('splitCommandLine', () => {
  it.each([
    ['node app.js', ['node', 'app.js']],
    ['  node   app.js  ', ['node', 'app.js']],
    [`node -e 'console.log("hi there")'`, ['node', '-e', 'console.log("hi there")']],
    [`echo "a \\"b\\" c" d`, ['echo', 'a "b" c', 'd']],
    [`echo "$HOME" '$HOME'`, ['echo', '$HOME', '$HOME']],
    ['a\\ b c', ['a b', 'c']],
    [`x''y "" z`, ['xy', '', 'z']],
    ['', []],
  ])('%s', (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it.each([[`echo 'open`], [`echo "open`]])('refuses unterminated quotes: %s', (line) => {
    expect(() => splitCommandLine(line)).toThrow(/unterminated/);
  });
});

describe('parseKeyValueEdits', () => {
  it('sets with K=V (values may contain =) and removes with K-', () => {
    expect(parseKeyValueEdits(['A=1', 'B=x=y', 'C=', 'D-'], 'env', 'c')).toEqual([
      { kind: 'set', key: 'A', value: '1' },
      { kind: 'set', key: 'B', value: 'x=y' },
      { kind: 'set', key: 'C', value: '' },
      { kind: 'unset', key: 'D' },
    ]);
  });

  it.each([['A'], ['=1'], ['-']])('refuses %s', (v) => {
    expect(() => parseKeyValueEdits([v], 'env', 'c')).toThrow(UsageError);
  });
});

describe('parsePairs', () => {
  it('accepts repeated flags and comma lists', () => {
    expect(parsePairs(['a=1,b=2', '@latest=3'], 'traffic', 'X', 'c')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['@latest', '3'],
    ]);
  });

  it.each([['a'], ['=1'], ['a=']])('refuses %s', (v) => {
    expect(() => parsePairs([v], 'traffic', 'REV=PCT', 'c')).toThrow('--traffic');
  });
});

describe('intFlag', () => {
  it.each([
    ['0', 0, 0],
    ['10', 0, 10],
  ])('%s', (v, min, n) => expect(intFlag(v, 'f', 'c', min)).toBe(n));
  it.each([['-1'], ['1.5'], ['abc'], ['']])('refuses %s', (v) => expect(() => intFlag(v, 'f', 'c')).toThrow(UsageError));
  it('refuses below the minimum', () => expect(() => intFlag('0', 'f', 'c', 1)).toThrow('>= 1'));
});

describe('parse', () => {
  it('turns parseArgs errors into usage errors for the command', () => {
    let err: unknown;
    try {
      parse(['--nope'], { x: { type: 'string' } }, 'service create');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).command).toBe('service create');
    expect((err as UsageError).exitCode).toBe(2);
  });
});

/**
 * Environment readers for each service's `config.ts`: every reader records problems instead of throwing, so one
 * start reports every bad variable at once (`throwIfProblems()`), one `NAME: reason` line each.
 *
 * Parsing follows what Knative's queue-proxy gets from `kelseyhightower/envconfig` (contract §1.3): "required"
 * means present (an empty string is a valid string), a present but empty int or bool is an error, ints are Go's
 * `strconv.ParseInt(v, 0, 64)` and bools Go's `strconv.ParseBool`. Values are not trimmed.
 */
import { ConfigError } from './errors.js';

export interface StringOptions {
  /** Problem if the variable is absent. An empty value is accepted. */
  readonly required?: boolean;
  /** Value when absent. Default `''` (Go's zero value). */
  readonly default?: string;
}

export interface IntOptions {
  /** Problem if the variable is absent. */
  readonly required?: boolean;
  /** Value when absent (and returned when the value is bad). Default 0 (Go's zero value). */
  readonly default?: number;
  /** Inclusive bounds, checked on present values. */
  readonly min?: number;
  readonly max?: number;
}

// Longest echo of a bad value in a problem line; configs can be long JSON.
const MAX_ECHO = 64;

export class EnvReader {
  readonly #env: NodeJS.ProcessEnv;
  readonly #problems: string[] = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  /** Problems so far, in the order found. */
  get problems(): readonly string[] {
    return this.#problems;
  }

  /** Record a problem found by the caller (cross-field checks), in the same `NAME: reason` form. */
  problem(name: string, reason: string): void {
    // One line per problem, whatever a validator's message looks like.
    this.#problems.push(`${name}: ${reason.replace(/\s*[\r\n]+\s*/g, ' ')}`);
  }

  string(name: string, opts: StringOptions = {}): string {
    const v = this.#env[name];
    if (v === undefined) {
      if (opts.required === true) this.problem(name, 'required but not set');
      return opts.default ?? '';
    }
    return v;
  }

  int(name: string, opts: IntOptions = {}): number {
    const fallback = opts.default ?? 0;
    const v = this.#env[name];
    if (v === undefined) {
      if (opts.required === true) this.problem(name, 'required but not set');
      return fallback;
    }
    if (v === '') {
      this.problem(name, 'set but empty; want an integer');
      return fallback;
    }
    const n = parseGoInt(v);
    if (typeof n === 'string') {
      this.problem(name, `${n}: ${echo(v)}`);
      return fallback;
    }
    if (opts.min !== undefined && n < opts.min) {
      this.problem(name, `must be >= ${String(opts.min)}, got ${String(n)}`);
      return fallback;
    }
    if (opts.max !== undefined && n > opts.max) {
      this.problem(name, `must be <= ${String(opts.max)}, got ${String(n)}`);
      return fallback;
    }
    return n;
  }

  /** Go `strconv.ParseBool`; absent gives `fallback`, anything else outside the Go set is a problem. */
  bool(name: string, fallback: boolean): boolean {
    const v = this.#env[name];
    if (v === undefined) return fallback;
    if (v === '') {
      this.problem(name, 'set but empty; want a boolean');
      return fallback;
    }
    const b = parseGoBool(v);
    if (b === undefined) {
      this.problem(name, `invalid boolean (want one of 1,t,T,TRUE,true,True,0,f,F,FALSE,false,False): ${echo(v)}`);
      return fallback;
    }
    return b;
  }

  /**
   * JSON value checked by `validate`, which returns the typed value or throws an `Error` whose message becomes the
   * reason. Absent or empty gives `undefined` (Knative treats an empty `OBSERVABILITY_CONFIG` or
   * `SERVING_READINESS_PROBE` as "use defaults"), as does any problem.
   */
  json<T>(name: string, validate: (value: unknown) => T): T | undefined {
    const v = this.#env[name];
    if (v === undefined || v === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (e) {
      this.problem(name, `invalid JSON: ${reasonOf(e)}`);
      return undefined;
    }
    try {
      return validate(parsed);
    } catch (e) {
      this.problem(name, reasonOf(e));
      return undefined;
    }
  }

  /** Throw a `ConfigError` listing every problem, if there is any. */
  throwIfProblems(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function echo(v: string): string {
  return JSON.stringify(v.length > MAX_ECHO ? v.slice(0, MAX_ECHO) + '…' : v);
}

/** Go `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/**
 * Go `strconv.ParseInt(s, 0, 64)`: optional sign; `0x`/`0o`/`0b` prefixes (any case); a bare leading `0` means
 * octal (`010` is 8, `08` is an error); `_` between digits. Returns the number, or the reason it is not one.
 * Values beyond ±(2^53 - 1) are refused: Go would accept up to int64, but a JS number cannot hold them exactly.
 */
export function parseGoInt(s: string): number | string {
  if (s === '') return 'invalid integer (empty)';
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  let base = 10;
  let prefix = false;
  if (s[i] === '0' && i + 1 < s.length) {
    const p = (s[i + 1] ?? '').toLowerCase();
    // Go needs at least one char after a letter prefix (len >= 3); "0x" alone falls to octal and fails on "x".
    if ((p === 'x' || p === 'o' || p === 'b') && i + 2 < s.length) {
      base = p === 'x' ? 16 : p === 'o' ? 8 : 2;
      i += 2;
      prefix = true;
    } else {
      base = 8;
      i += 1;
    }
  }
  if (i >= s.length) return 'invalid integer';
  let n = 0;
  // Underscore rules of Go's underscoreOK: only between digits, or right after a 0x/0o/0b prefix.
  let prev: 'start' | 'digit' | 'underscore' = prefix || base === 8 ? 'digit' : 'start';
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f /* _ */) {
      if (prev !== 'digit') return 'invalid integer';
      prev = 'underscore';
      continue;
    }
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x7a) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x5a) d = c - 0x41 + 10;
    else return 'invalid integer';
    if (d >= base) return 'invalid integer';
    n = n * base + d;
    if (n > Number.MAX_SAFE_INTEGER) return 'integer out of range';
    prev = 'digit';
  }
  if (prev === 'underscore') return 'invalid integer';
  return neg ? -n || 0 : n;
}

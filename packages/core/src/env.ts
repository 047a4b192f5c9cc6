/**
 * Environment readers for each service's `config.ts`: every reader records problems instead of throwing, so one
 * start reports every bad variable at once (`throwIfProblems()`), one `NAME: reason` line each.
 *
 * Parsing follows what Knative's queue-proxy gets from `kelseyhightower/envconfig` (docs/contract/queue-proxy.md §1.3): "required"
 * means present (an empty string is a valid string), a present but empty int or bool is an error, ints are Go's
 * `strconv.ParseInt(v, 0, 64)` and bools Go's `strconv.ParseBool`. Values are not trimmed.
 *
 * A service with its own established wording for problems (queue-proxy) passes an `EnvWording`; the parsing rules
 * stay the same.
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
  /** Further check of a parsed value, after the bounds: a reason makes it a problem. */
  readonly check?: (value: number) => string | undefined;
}

/** The reasons a reader writes itself (after `NAME: `); `raw` is the variable's value as given. */
export interface EnvWording {
  readonly emptyInt: string;
  readonly emptyBool: string;
  /** Not Go syntax, or beyond int64 (`range`). */
  readonly badInt: (raw: string, error: GoIntError) => string;
  /** A valid int64 that a JS number cannot hold exactly (beyond ±(2^53 - 1)). */
  readonly unsafeInt: (raw: string, value: bigint) => string;
  readonly badBool: (raw: string) => string;
}

export interface EnvReaderOptions {
  /** Replaces the default reasons, in part or whole. */
  readonly wording?: Partial<EnvWording>;
}

// Longest echo of a bad value in a problem line; configs can be long JSON.
const MAX_ECHO = 64;

const DEFAULT_WORDING: EnvWording = {
  emptyInt: 'set but empty; want an integer',
  emptyBool: 'set but empty; want a boolean',
  badInt: (raw, error) => `${error === 'range' ? 'integer out of range' : 'invalid integer'}: ${echo(raw)}`,
  unsafeInt: (raw) => `integer out of range: ${echo(raw)}`,
  badBool: (raw) => `invalid boolean (want one of 1,t,T,TRUE,true,True,0,f,F,FALSE,false,False): ${echo(raw)}`,
};

export class EnvReader {
  readonly #env: NodeJS.ProcessEnv;
  readonly #wording: EnvWording;
  readonly #problems: string[] = [];

  constructor(env: NodeJS.ProcessEnv, opts: EnvReaderOptions = {}) {
    this.#env = env;
    this.#wording = { ...DEFAULT_WORDING, ...opts.wording };
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

  /** The raw value, `undefined` when absent; records nothing (for readers a service builds on this one). */
  lookup(name: string): string | undefined {
    return this.#env[name];
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
      this.problem(name, this.#wording.emptyInt);
      return fallback;
    }
    const parsed = parseGoInt64(v);
    if (!parsed.ok) {
      this.problem(name, this.#wording.badInt(v, parsed.error));
      return fallback;
    }
    const n = safeNumber(parsed.value);
    if (n === undefined) {
      this.problem(name, this.#wording.unsafeInt(v, parsed.value));
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
    const reason = opts.check?.(n);
    if (reason !== undefined) {
      this.problem(name, reason);
      return fallback;
    }
    return n;
  }

  /** Go `strconv.ParseBool`; absent gives `fallback`, anything else outside the Go set is a problem. */
  bool(name: string, fallback: boolean): boolean {
    const v = this.#env[name];
    if (v === undefined) return fallback;
    if (v === '') {
      this.problem(name, this.#wording.emptyBool);
      return fallback;
    }
    const b = parseGoBool(v);
    if (b === undefined) {
      this.problem(name, this.#wording.badBool(v));
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

  /**
   * Throw a `ConfigError` listing every problem, if there is any. With a `subject` (`'queue-proxy'`) the message
   * reads `invalid queue-proxy configuration (2 problem(s)):`, else `invalid configuration:`.
   */
  throwIfProblems(subject?: string): void {
    const n = this.#problems.length;
    if (n === 0) return;
    throw new ConfigError(this.#problems, subject === undefined ? undefined : `${subject} configuration (${String(n)} problem(s))`);
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

/** Why `parseGoInt64` refused a value: Go's `strconv.ErrSyntax` or `strconv.ErrRange`. */
export type GoIntError = 'syntax' | 'range';
export type GoInt64 = { readonly ok: true; readonly value: bigint } | { readonly ok: false; readonly error: GoIntError };

/**
 * Go `strconv.ParseInt(s, 0, 64)` as a number: `parseGoInt64`, refusing what a JS number cannot hold exactly
 * (beyond ±(2^53 - 1)). Returns the number, or the reason it is not one.
 */
export function parseGoInt(s: string): number | string {
  if (s === '') return 'invalid integer (empty)';
  const parsed = parseGoInt64(s);
  if (!parsed.ok) return parsed.error === 'range' ? 'integer out of range' : 'invalid integer';
  return safeNumber(parsed.value) ?? 'integer out of range';
}

function safeNumber(n: bigint): number | undefined {
  return n > MAX_SAFE || n < -MAX_SAFE ? undefined : Number(n);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SYNTAX: GoInt64 = { ok: false, error: 'syntax' };
const RANGE: GoInt64 = { ok: false, error: 'range' };
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_CUTOFF = 1n << 63n;

/**
 * Go `strconv.ParseInt(s, 0, 64)`, exactly: optional sign; `0x`/`0o`/`0b` prefixes (any case); a bare leading `0`
 * means octal (`010` is 8, `08` is a syntax error); `_` only between digits or after a prefix; `range` beyond int64.
 * As in Go, an overflow is reported as soon as it happens, before a later syntax error.
 */
export function parseGoInt64(s: string): GoInt64 {
  let rest = s;
  let negative = false;
  if (rest.startsWith('+') || rest.startsWith('-')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  const parsed = parseGoUint64(rest);
  if (!parsed.ok) return parsed;
  if (negative ? parsed.value > INT64_CUTOFF : parsed.value >= INT64_CUTOFF) return RANGE;
  return { ok: true, value: negative ? -parsed.value : parsed.value };
}

/** Go `strconv.ParseUint(s, 0, 64)`. */
function parseGoUint64(s: string): GoInt64 {
  if (s === '') return SYNTAX;
  let base = 10n;
  let digits = s;
  if (s.startsWith('0')) {
    // Go needs a digit after a letter prefix (len >= 3): "0x" alone is octal and fails on "x".
    const prefix = s.length >= 3 ? s.charAt(1).toLowerCase() : '';
    base = prefix === 'b' ? 2n : prefix === 'x' ? 16n : 8n;
    digits = prefix === 'b' || prefix === 'o' || prefix === 'x' ? s.slice(2) : s.slice(1);
  }
  let n = 0n;
  let underscores = false;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c === 0x5f /* _ */) {
      underscores = true;
      continue;
    }
    const d = digitValue(c);
    if (d === undefined || d >= base) return SYNTAX;
    n = n * base + d;
    if (n > UINT64_MAX) return RANGE;
  }
  if (underscores && !underscoreOK(s)) return SYNTAX;
  return { ok: true, value: n };
}

function digitValue(c: number): bigint | undefined {
  if (c >= 0x30 && c <= 0x39) return BigInt(c - 0x30);
  if (c >= 0x61 && c <= 0x7a) return BigInt(c - 0x61 + 10);
  if (c >= 0x41 && c <= 0x5a) return BigInt(c - 0x41 + 10);
  return undefined;
}

/** Go's `strconv.underscoreOK`: `_` only between digits, or between a base prefix and a digit. */
function underscoreOK(s: string): boolean {
  // What came last: '^' the start, '0' a digit or prefix, '_' an underscore, '!' anything else.
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0') {
    const p = s.charAt(1).toLowerCase();
    if (p === 'b' || p === 'o' || p === 'x') {
      i = 2;
      saw = '0';
      hex = p === 'x';
    }
  }
  for (; i < s.length; i++) {
    const c = s.charAt(i);
    const lower = c.toLowerCase();
    if ((c >= '0' && c <= '9') || (hex && lower >= 'a' && lower <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

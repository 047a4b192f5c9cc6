import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CAUSE_CODES,
  ConfigError,
  KDP_ERROR_HEADER,
  KDP_ERRORS,
  KdpCause,
  KdpError,
  TEXT_ERROR_HEADERS,
  errorBody,
  errorHeaders,
  type KdpErrorCode,
} from './errors.js';

const causes = Object.values(KdpCause);
const codes = Object.keys(KDP_ERRORS) as KdpErrorCode[];

// Every KDP_ERR_* token in the workspace sources, so a code invented outside this catalogue fails the build.
const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
function codesUsedInSources(): string[] {
  const found = new Set<string>();
  for (const pkg of readdirSync(packagesDir)) {
    const src = join(packagesDir, pkg, 'src');
    let files: string[];
    try {
      files = readdirSync(src, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith('.ts')) continue;
      for (const m of readFileSync(join(src, f), 'utf8').matchAll(/KDP_ERR_[A-Z0-9_]+/g)) found.add(m[0]);
    }
  }
  return [...found].sort();
}
const usedCodes = codesUsedInSources();

describe('error catalogue', () => {
  it('finds the codes this package uses (the scan works)', () => {
    expect(usedCodes).toContain('KDP_ERR_QUEUE_FULL');
    expect(usedCodes).toContain('KDP_ERR_CONFIG');
  });

  it.each(usedCodes)('%s used in the sources is documented in the catalogue', (code) => {
    expect(Object.hasOwn(KDP_ERRORS, code)).toBe(true);
  });

  it.each(codes)('%s has a status, a message and a description', (code) => {
    const info = KDP_ERRORS[code];
    expect(code).toMatch(/^KDP_ERR_[A-Z][A-Z0-9_]*$/);
    expect(info.status).toBeGreaterThanOrEqual(400);
    expect(info.status).toBeLessThan(600);
    expect(info.message.length).toBeGreaterThan(0);
    expect(info.message.endsWith('\n')).toBe(false);
    expect(info.description.length).toBeGreaterThan(20);
  });

  it.each(causes)('cause %s maps to exactly one code, whose entry names it back', (cause) => {
    const code = CAUSE_CODES[cause];
    expect(KDP_ERRORS[code].cause).toBe(cause);
    expect(codes.filter((c) => KDP_ERRORS[c].cause === cause)).toEqual([code]);
  });

  it('lists exactly the causes of the brief', () => {
    expect([...causes].sort()).toEqual(
      [
        'bad-request',
        'draining',
        'not-found',
        'overloaded',
        'queue-full',
        'timeout',
        'upstream-error',
        'upstream-unreachable',
      ].sort(),
    );
  });
});

describe('errorBody', () => {
  it.each(causes)('%s: the catalogue message plus a newline, as Go http.Error writes it', (cause) => {
    const body = errorBody(cause);
    expect(body).toBe(`${KDP_ERRORS[CAUSE_CODES[cause]].message}\n`);
    expect(errorBody(cause)).toBe(body);
  });

  it('keeps the texts the proxies have always sent (Knative wording)', () => {
    expect(errorBody('draining')).toBe('shutting down\n');
    expect(errorBody('queue-full')).toBe('pending request queue full\n');
    expect(errorBody('timeout')).toBe('request timeout\n');
  });
});

describe('errorHeaders', () => {
  it.each(causes)('%s: Go http.Error headers plus X-Kdp-Error, one frozen array', (cause) => {
    const h = errorHeaders(cause);
    expect(h).toEqual([
      'Content-Type',
      'text/plain; charset=utf-8',
      'X-Content-Type-Options',
      'nosniff',
      'X-Kdp-Error',
      cause,
    ]);
    expect(errorHeaders(cause)).toBe(h);
    expect(Object.isFrozen(h)).toBe(true);
    expect(() => {
      (h as string[]).push('x');
    }).toThrow(TypeError);
  });

  it('exposes the header name and the shared text headers frozen', () => {
    expect(KDP_ERROR_HEADER).toBe('X-Kdp-Error');
    expect(Object.isFrozen(TEXT_ERROR_HEADERS)).toBe(true);
  });
});

describe('KdpError', () => {
  it.each([
    ['queue-full', 'KDP_ERR_QUEUE_FULL', 503, 'pending request queue full'],
    ['timeout', 'KDP_ERR_TIMEOUT', 504, 'request timeout'],
    ['upstream-unreachable', 'KDP_ERR_UPSTREAM_UNREACHABLE', 502, 'upstream unreachable'],
    ['draining', 'KDP_ERR_DRAINING', 503, 'shutting down'],
    ['not-found', 'KDP_ERR_NOT_FOUND', 404, '404 page not found'],
    ['overloaded', 'KDP_ERR_OVERLOADED', 503, 'activator overload'],
    ['bad-request', 'KDP_ERR_BAD_REQUEST', 400, 'bad request'],
    ['upstream-error', 'KDP_ERR_UPSTREAM_ERROR', 502, 'upstream error'],
  ] as const)('%s → %s %i "%s"', (cause, code, status, message) => {
    const e = new KdpError(cause);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('KdpError');
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe(message);
    expect(e.headers).toBe(errorHeaders(cause));
  });

  it('keeps a caller message', () => {
    const e = new KdpError('upstream-unreachable', 'dial tcp 127.0.0.1:8080: connect: connection refused');
    expect(e.message).toBe('dial tcp 127.0.0.1:8080: connect: connection refused');
    expect(e.status).toBe(502);
  });
});

describe('ConfigError', () => {
  it('carries every line, frozen, and lists them in the message', () => {
    const lines = ['A: required but not set', 'B: invalid integer "x"'];
    const e = new ConfigError(lines);
    lines.push('C: mutated later');
    expect(e.code).toBe('KDP_ERR_CONFIG');
    expect(e.name).toBe('ConfigError');
    expect(e.lines).toEqual(['A: required but not set', 'B: invalid integer "x"']);
    expect(Object.isFrozen(e.lines)).toBe(true);
    expect(e.message).toBe('invalid configuration:\n  A: required but not set\n  B: invalid integer "x"');
  });
});

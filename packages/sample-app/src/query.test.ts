import { describe, expect, it } from 'vitest';
import { parseQuery, QUERY_LIMITS } from './query.js';

describe('parseQuery', () => {
  it.each<[string, object]>([
    ['', { sse: false }],
    ['size=10', { size: 10, sse: false }],
    ['size=0', { size: 0, sse: false }],
    ['sleep=25', { sleepMs: 25, sse: false }],
    ['stream=3&interval=50', { chunks: 3, intervalMs: 50, sse: false }],
    ['stream=2&sse=1', { chunks: 2, sse: true }],
    ['sse', { sse: true }],
    ['sse=0', { sse: false }],
    ['cachebuster=x&size=5&&', { size: 5, sse: false }],
    ['size=1&size=2', { size: 2, sse: false }],
  ])('%j', (qs, expected) => {
    expect(parseQuery(qs)).toEqual({ ok: true, query: expected });
  });

  it.each([
    ['size=abc', 'size'],
    ['size=', 'size'],
    ['size=-1', 'size'],
    [`size=${String(QUERY_LIMITS.size + 1)}`, 'size'],
    ['sleep=1.5', 'sleep'],
    ['stream=1234567890', 'stream'],
    ['interval=x', 'interval'],
  ])('rejects %j', (qs, key) => {
    const r = parseQuery(qs);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(key);
  });
});

import { describe, expect, it } from 'vitest';
import { DeferredLogger, jsonLineSink } from './deferred-logger.js';
import type { LogSink } from './deferred-logger.js';

function recorder(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (fields: Record<string, unknown>, msg: string): void => {
    lines.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  };
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

describe('DeferredLogger', () => {
  it('replays buffered records in order on attach, then passes calls straight through', () => {
    const d = new DeferredLogger();
    d.info({ a: 1 }, 'first');
    d.warn({}, 'second');
    const r = recorder();
    expect(r.lines).toEqual([]);
    d.attach(r);
    expect(r.lines).toEqual(['info first {"a":1}', 'warn second {}']);
    d.error({ b: 2 }, 'third');
    expect(r.lines.at(-1)).toBe('error third {"b":2}');
  });

  it('bounds the buffer and reports what it dropped', () => {
    const d = new DeferredLogger();
    for (let i = 0; i < 1005; i++) d.debug({ i }, 'x');
    const r = recorder();
    d.attach(r);
    expect(r.lines).toHaveLength(1001);
    expect(r.lines.at(-1)).toBe('warn log records dropped before the logger started {"dropped":5}');
  });

  it('writes through an early sink at once when one is given, and switches to the attached logger', () => {
    const lines: string[] = [];
    const d = new DeferredLogger(jsonLineSink({ name: 'qp', level: 'info', bindings: { pod: 'p1' }, write: (l) => lines.push(l) }));
    d.debug({}, 'below the level');
    d.info({ port: 8012 }, 'ready');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, name: 'qp', pod: 'p1', port: 8012, msg: 'ready' });
    const r = recorder();
    d.attach(r);
    d.warn({}, 'later');
    expect(lines).toHaveLength(1);
    expect(r.lines).toEqual(['warn later {}']);
  });
});

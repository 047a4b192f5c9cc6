import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { DeferredLogger } from './deferred-logger.js';
import { LOG_LEVELS, createLogger, isLogLevel, type KdpLogger, type LogLevel } from './logger.js';

/** A destination that keeps each JSON line parsed. */
function sink(): { lines: Record<string, unknown>[]; write(s: string): void } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(s: string): void {
      for (const l of s.split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
}

function emitAll(level: LogLevel): string[] {
  const d = sink();
  const log = createLogger({ name: 't', level, destination: d });
  log.trace('trace');
  log.debug('debug');
  log.info('info');
  log.warn('warn');
  log.error('error');
  log.fatal('fatal');
  return d.lines.map((l) => String(l.msg));
}

describe('createLogger', () => {
  it('writes one JSON line with name, level, bindings, pid and hostname', () => {
    const d = sink();
    const log = createLogger({
      name: 'queue-proxy',
      level: 'info',
      bindings: { revision: 'hello-00001', pod: 'hello-abc', port: 8012 },
      destination: d,
    });
    log.info({ event: 'listening' }, 'started');
    expect(d.lines).toHaveLength(1);
    expect(d.lines[0]).toMatchObject({
      level: 30,
      name: 'queue-proxy',
      revision: 'hello-00001',
      pod: 'hello-abc',
      port: 8012,
      pid: process.pid,
      event: 'listening',
      msg: 'started',
    });
    expect(typeof d.lines[0]!.hostname).toBe('string');
    expect(typeof d.lines[0]!.time).toBe('number');
  });

  it.each<[LogLevel, string[]]>([
    ['trace', ['trace', 'debug', 'info', 'warn', 'error', 'fatal']],
    ['debug', ['debug', 'info', 'warn', 'error', 'fatal']],
    ['info', ['info', 'warn', 'error', 'fatal']],
    ['warn', ['warn', 'error', 'fatal']],
    ['error', ['error', 'fatal']],
    ['fatal', ['fatal']],
    ['silent', []],
  ])('level %s emits %j', (level, want) => {
    expect(emitAll(level)).toEqual(want);
  });

  it('takes the level from its argument only, never from the environment', () => {
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'trace';
    try {
      expect(emitAll('error')).toEqual(['error', 'fatal']);
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });

  it('rejects an unknown level naming the option', () => {
    expect(() => createLogger({ name: 't', level: 'verbose' as LogLevel })).toThrow(/level/);
  });

  it('defaults to the stdout file descriptor', () => {
    const log = createLogger({ name: 't', level: 'silent' });
    const stream = (log as unknown as Record<symbol, { fd?: number }>)[pino.symbols.streamSym];
    expect(stream?.fd).toBe(1);
  });

  it.each(LOG_LEVELS)('isLogLevel(%s)', (l) => {
    expect(isLogLevel(l)).toBe(true);
  });

  it('isLogLevel refuses others', () => {
    expect(isLogLevel('INFO')).toBe(false);
    expect(isLogLevel('')).toBe(false);
  });
});

describe('KdpLogger, the one narrow logger interface', () => {
  /** What a component below a composition root does with the logger it is given. */
  function component(log: KdpLogger): void {
    log.debug({ step: 1 }, 'hidden at info');
    log.info({ step: 2 }, 'started');
    log.warn({ step: 3 }, 'slow');
    log.error({ err: new Error('boom') }, 'failed');
  }

  it('is satisfied by the pino root: fields and message land in its JSON lines, levels honoured', () => {
    const d = sink();
    component(createLogger({ name: 't', level: 'info', destination: d }));
    expect(d.lines.map((l) => [l.level, l.msg, l.step])).toEqual([
      [30, 'started', 2],
      [40, 'slow', 3],
      [50, 'failed', undefined],
    ]);
    expect(d.lines[2]?.err).toMatchObject({ type: 'Error', message: 'boom' });
  });

  it('is satisfied by the pino-free DeferredLogger, which replays into pino on attach', () => {
    const early = new DeferredLogger();
    component(early);
    const d = sink();
    early.attach(createLogger({ name: 't', level: 'debug', destination: d }));
    expect(d.lines.map((l) => [l.msg, l.step])).toEqual([
      ['hidden at info', 1],
      ['started', 2],
      ['slow', 3],
      ['failed', undefined],
    ]);
  });
});

/**
 * A logger for the first moments of a process, so it can listen before it loads pino (~20 ms of startup, which for
 * a queue-proxy is cold-start latency). Until the real logger is attached, records go to an `early` sink if given
 * (see `jsonLineSink`: same JSON shape as pino, written at once) or are buffered and replayed on attach.
 */
import type { KdpLogger } from './logger.js';

/** Core's one narrow logger interface, under the name the queue-proxy's start-up knows it by. */
export type LogSink = KdpLogger;

type Level = keyof LogSink;

/** Bound on buffered records: startup logs a handful; a flood before attach must not grow memory. */
const MAX_BUFFERED = 1000;

const PINO_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface JsonLineSinkOptions {
  readonly name: string;
  /** Lowest level written: 'debug' | 'info' | 'warn' | 'error'; anything else (e.g. 'silent') writes nothing. */
  readonly level: string;
  readonly bindings?: Readonly<Record<string, string | number | boolean>>;
  readonly write?: (line: string) => void;
}

/** Writes pino-shaped JSON lines (`level`, `time`, `pid`, `name`, bindings, fields, `msg`) synchronously. */
export function jsonLineSink(opts: JsonLineSinkOptions): LogSink {
  const min = (PINO_LEVELS as Record<string, number | undefined>)[opts.level] ?? (opts.level === 'trace' ? 10 : 100);
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const base = { pid: process.pid, name: opts.name, ...opts.bindings };
  const at = (level: Level) => (fields: object, msg: string): void => {
    const n = PINO_LEVELS[level];
    if (n < min) return;
    write(`${JSON.stringify({ level: n, time: Date.now(), ...base, ...fields, msg })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export class DeferredLogger implements LogSink {
  private target: LogSink | null = null;

  constructor(private readonly early: LogSink | null = null) {}
  private readonly buffered: [Level, object, string][] = [];
  private dropped = 0;

  attach(target: LogSink): void {
    for (const [level, fields, msg] of this.buffered) target[level](fields, msg);
    this.buffered.length = 0;
    if (this.dropped > 0) target.warn({ dropped: this.dropped }, 'log records dropped before the logger started');
    this.target = target;
  }

  private log(level: Level, fields: object, msg: string): void {
    const t = this.target ?? this.early;
    if (t !== null) t[level](fields, msg);
    else if (this.buffered.length < MAX_BUFFERED) this.buffered.push([level, fields, msg]);
    else this.dropped++;
  }

  debug(fields: object, msg: string): void {
    this.log('debug', fields, msg);
  }
  info(fields: object, msg: string): void {
    this.log('info', fields, msg);
  }
  warn(fields: object, msg: string): void {
    this.log('warn', fields, msg);
  }
  error(fields: object, msg: string): void {
    this.log('error', fields, msg);
  }
}

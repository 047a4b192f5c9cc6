/**
 * The one pino root logger of a process. Call once in the composition root with fixed bindings; hand the result
 * (or children made at setup time) down as a parameter. Nothing here reads `process.env`: the level comes from the
 * service's config.
 *
 * Output is pino's default destination: newline-delimited JSON on stdout through an asynchronous SonicBoom, which
 * pino flushes on process exit. Disabled levels are no-op functions (pino), so `logger.debug(...)` on the request
 * path costs a call when debug is off.
 */
import { hostname } from 'node:os';
import { pino, type DestinationStream, type LevelWithSilent, type Logger as PinoLogger } from 'pino';

/**
 * The one logging interface kdp code takes as a parameter: structured fields first, then a constant message
 * (docs/style.md rule 9), at the four levels kdp uses. A pino `Logger` satisfies it, so does the queue-proxy's
 * pino-free `DeferredLogger` and a test's recording fake. A component that uses fewer levels asks for fewer
 * (`Pick<KdpLogger, 'info' | 'warn'>`). Composition roots create the pino root (`createLogger`, type `Logger`) and
 * hand this narrower type down; only they use pino's own surface (`child`, `level`).
 */
export interface KdpLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** The pino root a composition root creates (`createLogger`); pass `KdpLogger` to everything below it. */
export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = Object.freeze([
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]);

export interface CreateLoggerOptions {
  /** Component name, the `name` field of every line (e.g. `queue-proxy`). */
  readonly name: string;
  readonly level: LogLevel;
  /** Fields on every line, fixed for the process (revision, pod, ...). */
  readonly bindings?: Readonly<Record<string, string | number | boolean>>;
  /** Replaces stdout; for tests. */
  readonly destination?: DestinationStream;
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export function createLogger(opts: CreateLoggerOptions): Logger {
  // pino would accept a custom level string at runtime; configs are strings, so check here with a clear message.
  if (!isLogLevel(opts.level)) {
    throw new RangeError(`createLogger level must be one of ${LOG_LEVELS.join(', ')}, got ${String(opts.level)}`);
  }
  const options = {
    name: opts.name,
    level: opts.level,
    base: { pid: process.pid, hostname: hostname(), ...opts.bindings },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

/**
 * A logger that buffers records until the real one is attached, so a process can listen before it loads pino
 * (~20 ms of startup, which for a queue-proxy is cold-start latency). Records keep their order; once attached,
 * calls go straight through.
 */
export interface LogSink {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

type Level = keyof LogSink;

/** Bound on buffered records: startup logs a handful; a flood before attach must not grow memory. */
const MAX_BUFFERED = 1000;

export class DeferredLogger implements LogSink {
  private target: LogSink | null = null;
  private readonly buffered: [Level, Record<string, unknown>, string][] = [];
  private dropped = 0;

  attach(target: LogSink): void {
    for (const [level, fields, msg] of this.buffered) target[level](fields, msg);
    this.buffered.length = 0;
    if (this.dropped > 0) target.warn({ dropped: this.dropped }, 'log records dropped before the logger started');
    this.target = target;
  }

  private log(level: Level, fields: Record<string, unknown>, msg: string): void {
    const t = this.target;
    if (t !== null) t[level](fields, msg);
    else if (this.buffered.length < MAX_BUFFERED) this.buffered.push([level, fields, msg]);
    else this.dropped++;
  }

  debug(fields: Record<string, unknown>, msg: string): void {
    this.log('debug', fields, msg);
  }
  info(fields: Record<string, unknown>, msg: string): void {
    this.log('info', fields, msg);
  }
  warn(fields: Record<string, unknown>, msg: string): void {
    this.log('warn', fields, msg);
  }
  error(fields: Record<string, unknown>, msg: string): void {
    this.log('error', fields, msg);
  }
}

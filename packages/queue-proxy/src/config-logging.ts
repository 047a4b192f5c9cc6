// The log level: P:logging/config.go#NewLogger. A valid SERVING_LOGGING_LEVEL wins, else the zap config's "level",
// else info. Knative ignores an invalid level or an unparsable config, falling back silently; kdp falls back too
// and says so in a warning.
import { quote } from './config-env.js';
import { isJsonObject } from './go-json.js';

/** pino level names; zap's dpanic maps to error, panic to fatal. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const ZAP_LEVELS: Readonly<Record<string, LogLevel>> = {
  debug: 'debug', DEBUG: 'debug', info: 'info', INFO: 'info', warn: 'warn', WARN: 'warn', error: 'error', ERROR: 'error',
  dpanic: 'error', DPANIC: 'error', panic: 'fatal', PANIC: 'fatal', fatal: 'fatal', FATAL: 'fatal',
};

function zapLevel(value: string): LogLevel | undefined {
  return Object.hasOwn(ZAP_LEVELS, value) ? ZAP_LEVELS[value] : undefined;
}

/** The level from SERVING_LOGGING_CONFIG and SERVING_LOGGING_LEVEL; tolerated oddities go to `warnings`. */
export function parseLogLevel(loggingConfig: string, override: string, warnings: string[]): LogLevel {
  let configLevel: LogLevel = 'info';
  if (loggingConfig !== '') {
    let doc: unknown;
    try {
      doc = JSON.parse(loggingConfig);
    } catch {
      warnings.push('SERVING_LOGGING_CONFIG: not valid JSON; using the default logging configuration');
    }
    const level = isJsonObject(doc) ? doc['level'] : undefined;
    if (typeof level === 'string' && level !== '') {
      const parsed = zapLevel(level);
      if (parsed === undefined) warnings.push(`SERVING_LOGGING_CONFIG: unknown level ${quote(level)}; using info`);
      else configLevel = parsed;
    }
  }
  if (override === '') return configLevel;
  const parsed = zapLevel(override);
  if (parsed === undefined) {
    warnings.push(`SERVING_LOGGING_LEVEL: unknown level ${quote(override)}; ignored`);
    return configLevel;
  }
  return parsed;
}

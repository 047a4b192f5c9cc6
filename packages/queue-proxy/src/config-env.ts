// How queue-proxy reads single variables, on top of core's EnvReader (Go strconv rules, problems collected): the
// problem wording queue-proxy has always printed, and the value types core does not know (ports, IP addresses,
// timer seconds).
import { isIP } from 'node:net';

import type { EnvReader, EnvWording } from '@kdp/core';

export function quote(value: string): string {
  return JSON.stringify(value);
}

const BOOL_SPELLINGS = '1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False';

/** Problem lines as queue-proxy words them (`invalid integer "08" (a leading 0 means octal, as in Go)`). */
export const QUEUE_PROXY_WORDING: EnvWording = {
  emptyInt: 'set but empty; expected an integer',
  emptyBool: 'set but empty; expected a boolean',
  badInt: (raw, error) => {
    if (error === 'range') return `integer ${quote(raw)} out of range for int64`;
    if (/^[+-]?0[0-9_]/u.test(raw)) return `invalid integer ${quote(raw)} (a leading 0 means octal, as in Go)`;
    return `invalid integer ${quote(raw)}`;
  },
  unsafeInt: (_raw, value) => `${String(value)} is beyond what kdp can represent exactly (2^53-1)`,
  badBool: (raw) => `invalid boolean ${quote(raw)} (expected ${BOOL_SPELLINGS})`,
};

// Node's setTimeout fires at once for delays above 2^31-1 ms; a timeout longer than that would silently become 0.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** An `IntOptions.check` for whole seconds that will become a Node.js timer, then `more` if given. */
export function timerSeconds(more?: (seconds: number) => string | undefined): (seconds: number) => string | undefined {
  return (seconds) =>
    seconds > MAX_TIMER_SECONDS
      ? `${String(seconds)} exceeds ${String(MAX_TIMER_SECONDS)} seconds, the longest Node.js timer`
      : more?.(seconds);
}

/** A decimal port in [min, 65535], else undefined. */
export function parsePort(raw: string, min: number): number | undefined {
  if (!/^[0-9]{1,5}$/u.test(raw)) return undefined;
  const port = Number(raw);
  return port >= min && port <= 65535 ? port : undefined;
}

/** A TCP port, decimal. Knative types its ports as strings and only fails at listen or dial time. */
export function readPort(r: EnvReader, name: string, required: boolean, fallback: number): number {
  const raw = r.lookup(name);
  if (raw === undefined) {
    if (required) r.problem(name, 'required but not set');
    return fallback;
  }
  const port = parsePort(raw, 1);
  if (port === undefined) r.problem(name, `invalid port ${quote(raw)} (expected a decimal integer 1-65535)`);
  return port ?? fallback;
}

/** An IP address literal, or undefined when absent or empty. */
export function readIpAddress(r: EnvReader, name: string): string | undefined {
  const raw = r.lookup(name);
  if (raw === undefined || raw === '') return undefined;
  if (isIP(raw) === 0) {
    r.problem(name, `invalid IP address ${quote(raw)}`);
    return undefined;
  }
  return raw;
}

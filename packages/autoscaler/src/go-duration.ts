// Go's duration syntax, because Knative's annotations and config-autoscaler keys use it (`60s`, `1m30s`, `1h`):
// a value accepted by `time.ParseDuration` must mean the same here, and messages print bounds as `Duration.String`
// does (`6s`, `1h0m0s`).

const NS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 MICRO SIGN
  'μs': 1e3, // U+03BC GREEK SMALL LETTER MU
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// time.ParseDuration's limit: an int64 count of nanoseconds.
const MAX_NS = 2 ** 63;

const COMPONENT = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;

/**
 * Parses Go duration syntax (`[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or a bare `0`) into milliseconds, or `undefined`
 * where `time.ParseDuration` returns an error. Fractions below a millisecond survive as fractional milliseconds.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let totalNs = 0;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    if (m === null) return undefined;
    const whole = m[1] ?? '';
    const frac = m[2];
    const unit = m[3] ?? '';
    // "." alone, or no digits at all before the unit, is an error in Go.
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) return undefined;
    const value = Number(`${whole === '' ? '0' : whole}.${frac ?? ''}0`);
    totalNs += value * scale;
    if (totalNs >= MAX_NS) return undefined;
    rest = rest.slice(m[0].length);
  }
  // Round to whole nanoseconds as Go does, then express in milliseconds.
  return (sign * Math.round(totalNs)) / 1e6;
}

/**
 * Formats milliseconds like Go's `Duration.String` for the values that appear in validation messages:
 * `0s`, `500ms`, `6s`, `1m30s`, `1h0m0s`, `1.5s`.
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${trimNumber(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trimNumber(seconds)}s`;
}

function trimNumber(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

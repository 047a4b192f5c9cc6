/**
 * The sample app's query knobs. A hand-written scanner rather than URLSearchParams: the benchmark's hot path is
 * `/?size=10`, and the app shares a CPU with the load generator, so every microsecond it spends is one the load
 * generator does not get.
 */
export interface SampleQuery {
  /** `size=N`: body of exactly N bytes (or, with `stream`, N bytes per chunk). */
  readonly size?: number;
  /** `sleep=MS`: answer after MS milliseconds. */
  readonly sleepMs?: number;
  /** `stream=N`: a chunked response of N chunks. */
  readonly chunks?: number;
  /** `interval=MS`: pause between chunks (default 0). */
  readonly intervalMs?: number;
  /** `sse=1`: `Content-Type: text/event-stream` and `data: i` events. */
  readonly sse: boolean;
}

export type QueryResult =
  | { readonly ok: true; readonly query: SampleQuery }
  | { readonly ok: false; readonly problem: string };

/** Upper bounds, so that a typo cannot make the app allocate gigabytes or hold a socket for a day. */
export const QUERY_LIMITS = Object.freeze({
  size: 64 * 1024 * 1024,
  sleepMs: 10 * 60 * 1000,
  chunks: 1_000_000,
  intervalMs: 10 * 60 * 1000,
});

interface MutableQuery {
  size?: number;
  sleepMs?: number;
  chunks?: number;
  intervalMs?: number;
  sse: boolean;
}

/** Parses the part of the URL after `?`. Unknown parameters are ignored (cache busters, tracing ids...). */
export function parseQuery(qs: string): QueryResult {
  const q: MutableQuery = { sse: false };
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf('&', start);
    if (end === -1) end = qs.length;
    const eq = qs.indexOf('=', start);
    const hasValue = eq !== -1 && eq < end;
    const key = qs.slice(start, hasValue ? eq : end);
    const value = hasValue ? qs.slice(eq + 1, end) : '';
    switch (key) {
      case 'size':
      case 'sleep':
      case 'stream':
      case 'interval': {
        const field = key === 'size' ? 'size' : key === 'sleep' ? 'sleepMs' : key === 'stream' ? 'chunks' : 'intervalMs';
        const n = parseCount(value);
        if (n === -1 || n > QUERY_LIMITS[field]) {
          return { ok: false, problem: `${key} must be an integer in 0..${String(QUERY_LIMITS[field])}` };
        }
        q[field] = n;
        break;
      }
      case 'sse':
        q.sse = value === '1' || value === 'true' || value === '';
        break;
      default:
        break;
    }
    start = end + 1;
  }
  return { ok: true, query: q };
}

/** A non-negative decimal integer of at most 9 digits, or -1. */
function parseCount(s: string): number {
  if (s.length === 0 || s.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

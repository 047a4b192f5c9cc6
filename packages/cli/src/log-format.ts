// `kdp serve --log-format pretty`: the pino JSON lines of the platform turned into one readable line each, for a
// terminal. Platform events read `12:03:04.567 INFO  default/hello-00001 revision ready`; a pod's own output is
// prefixed with the pod and container, as `docker compose` prefixes a service's (`hello-00001-1 app | …`), and a
// queue-proxy's own JSON lines are unpacked the same way. Only lifecycle lines go through here (the request path
// does not log), so parsing each line is affordable.

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Readonly<Record<string, string>> = { TRACE: '90', DEBUG: '90', INFO: '32', WARN: '33', ERROR: '31', FATAL: '35' };
/** Fields shown in the line's head, or not at all (the same on every line). */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'revision', 'pod', 'container', 'stream', 'v']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (isObject(v) && typeof v['message'] === 'string') return JSON.stringify(v['message']);
  return JSON.stringify(v) ?? String(v);
}

/** The fields not already in the head, as `key=value`. */
function rest(o: Json): string {
  let out = '';
  for (const [k, v] of Object.entries(o)) if (!HIDDEN.has(k) && v !== undefined) out += ` ${k}=${value(v)}`;
  return out;
}

function level(n: unknown, color: boolean): string {
  const name = (typeof n === 'number' ? LEVELS[n] : undefined) ?? 'INFO';
  const padded = name.padEnd(5);
  return color ? `\u001b[${COLORS[name] ?? '0'}m${padded}\u001b[0m` : padded;
}

/** One pino JSON line (with or without its newline) as one readable line with a newline; not JSON: as it came. */
export function formatLogLine(line: string, color = false): string {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return `${text}\n`;
  }
  if (!isObject(o)) return `${text}\n`;
  const time = typeof o['time'] === 'number' ? clock(o['time']) : '';
  const msg = typeof o['msg'] === 'string' ? o['msg'] : '';
  const pod = typeof o['pod'] === 'string' ? o['pod'] : undefined;
  const container = typeof o['container'] === 'string' ? o['container'] : undefined;
  if (pod !== undefined && container !== undefined && typeof o['stream'] === 'string') {
    // A pod's own output line: `<pod> <container> | <line>`, the line unpacked when it is the queue-proxy's JSON.
    const prefix = `${time} ${pod} ${container === 'user-container' ? 'app' : container} |`;
    let inner: unknown;
    try {
      inner = msg.startsWith('{') ? JSON.parse(msg) : undefined;
    } catch {
      inner = undefined;
    }
    if (isObject(inner) && typeof inner['msg'] === 'string') return `${prefix} ${level(inner['level'], color)} ${inner['msg']}${rest(inner)}\n`;
    return `${prefix} ${msg}\n`;
  }
  const revision = typeof o['revision'] === 'string' ? o['revision'] : undefined;
  const where = revision === undefined ? (pod ?? '') : pod === undefined ? revision : `${revision} ${pod}`;
  return `${time} ${level(o['level'], color)} ${where === '' ? '' : `${where} `}${msg}${rest(o)}\n`;
}

/** A pino destination writing pretty lines to `out`. */
export function prettyDestination(out: (text: string) => void, color: boolean): { write(chunk: string): void } {
  return {
    write(chunk: string): void {
      // pino writes one line per call; split anyway, in case a destination batches.
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
        out(formatLogLine(chunk.slice(start, nl), color));
        start = nl + 1;
      }
      if (start < chunk.length) out(formatLogLine(chunk.slice(start), color));
    },
  };
}

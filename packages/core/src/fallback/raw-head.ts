/**
 * HTTP/1.1 heads written straight to a socket: 1xx responses node has no API for, the 101 of a tunnel, and
 * responses on a connection node:http handed over after an `Upgrade` request.
 */
import http from 'node:http';
import type { HeaderList } from '../http/exchange.js';
import { statusLine } from '../http/status-line.js';

/** `Name: value\r\n` lines; pairs node would refuse to send (invalid name or value) are left out. */
export function headerLines(list: HeaderList): string {
  let out = '';
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i] ?? '';
    const value = list[i + 1] ?? '';
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      continue;
    }
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/** True if every pair is one node:http will accept in `writeHead` (checked first so a bad one cannot half-apply). */
export function validHeaders(list: HeaderList): boolean {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i] ?? '';
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, list[i + 1] ?? '');
    } catch {
      return false;
    }
  }
  return true;
}

interface RawWritable {
  _writeRaw?: (data: string, encoding: BufferEncoding) => boolean;
}

/**
 * Relays an informational (1xx, not 101) response to an HTTP/1.1 client before the final head, as Go's ReverseProxy
 * does through `WriteHeader(1xx)`. node:http only has `writeContinue`, `writeProcessing` and `writeEarlyHints`
 * (which refuses unusual `Link` values); they all go through the internal `_writeRaw`, which queues the bytes
 * correctly behind earlier pipelined responses, so that is used when present. Returns false if nothing was sent.
 */
export function writeInformational(res: http.ServerResponse, status: number, raw: HeaderList): boolean {
  const writeRaw = (res as unknown as RawWritable)._writeRaw;
  if (typeof writeRaw === 'function') {
    writeRaw.call(res, `${statusLine(status)}${headerLines(raw)}\r\n`, 'latin1');
    return true;
  }
  if (status === 102) {
    res.writeProcessing();
    return true;
  }
  if (status === 103) {
    const hints: Record<string, string | string[]> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = (raw[i] ?? '').toLowerCase();
      const v = raw[i + 1] ?? '';
      const prev = hints[k];
      hints[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    try {
      res.writeEarlyHints(hints);
      return hints['link'] !== undefined;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * `HTTP/1.1 <status> <reason>\r\n`, one helper for both engines: the fast path's responses of its own
 * (`http1/local-head.ts`) and the heads the node:http fallback writes straight to a socket (`fallback/raw-head.ts`,
 * `fallback/upgrade-exchange.ts`). The reason is node's (`STATUS_CODES`), `Unknown` for a code it has no name for.
 */
import { STATUS_CODES } from 'node:http';

/** Lines built so far, so a service that keeps answering the same few statuses builds no string per response. */
const LINES = new Map<number, string>();
/** Bound on the cache: a status is any number a caller passes, and the cache must not grow with them. */
const MAX_CACHED = 256;

export function statusLine(status: number): string {
  let line = LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    if (LINES.size < MAX_CACHED) LINES.set(status, line);
  }
  return line;
}

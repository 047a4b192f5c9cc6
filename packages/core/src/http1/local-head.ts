/**
 * The answers the fast path writes itself, as strings: a response of kdp's own (`Exchange.respond`, a 502 or 504)
 * and the refusal of a request head it will not forward (docs/http1-rules.md, rule 2). Pure; tested on exact bytes
 * in `forward-head.test.ts`.
 */
import { STATUS_CODES } from 'node:http';
import type { HeaderList } from '../http/exchange.js';
import { statusLine } from '../http/status-line.js';
import { CONNECTION_CLOSE } from './forward-head.js';
import type { HeadError } from './head.js';

/**
 * The head of a response kdp generated: status line, `headers`, `Connection: close` when `close`, `Date`, and the
 * body's `Content-Length` (`bodyBytes`, also for a HEAD request, whose body is then left out).
 */
export function localResponseHead(status: number, headers: HeaderList, close: boolean, date: string, bodyBytes: number): string {
  let head = statusLine(status);
  for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i] ?? ''}: ${headers[i + 1] ?? ''}\r\n`;
  if (close) head += CONNECTION_CLOSE;
  head += `Date: ${date}\r\nContent-Length: ${String(bodyBytes)}\r\n\r\n`;
  return head;
}

/** The status refusing a head, per reason (501 as Go's server answers an unknown Transfer-Encoding). */
export const HEAD_ERROR_STATUS: Readonly<Record<HeadError, number>> = {
  'head-too-large': 431,
  'too-many-headers': 431,
  'bad-start-line': 400,
  'bad-target': 400,
  'bad-version': 505,
  'bad-header': 400,
  'bare-lf': 400,
  'obs-fold': 400,
  'bad-content-length': 400,
  'content-length-and-chunked': 400,
  'bad-transfer-encoding': 501,
  'transfer-encoding-http10': 400,
  'bad-chunked-body': 400,
  'connect-not-supported': 405,
  'missing-host': 400,
  'duplicate-host': 400,
};

/** The whole refusal of a head kdp will not forward (head and body); the connection closes after it. */
export function refusal(err: HeadError): string {
  const status = HEAD_ERROR_STATUS[err];
  const body = `${String(status)} ${STATUS_CODES[status] ?? ''}: ${err}`;
  return (
    `${statusLine(status)}Content-Type: text/plain; charset=utf-8\r\nX-Kdp-Error: bad-request\r\n` +
    `Connection: close\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`
  );
}

/**
 * Strict HTTP/1.x head scanner for the byte-level fast path.
 *
 * It finds the end of a head, validates it against request smuggling (RFC 9112 §2–§6: CRLF only, no obs-fold,
 * token header names, no CTLs in values, one Content-Length, no Content-Length with Transfer-Encoding), and
 * records byte offsets so the proxy can copy header lines verbatim instead of re-serialising them.
 * Header names are lower-cased once here (the handler looks headers up by name); values are materialised
 * lazily, only when asked for.
 *
 * One `Head` object lives per connection side and is reused for every message: no per-message arrays.
 */

import { HOP_BY_HOP } from '../http/hop-by-hop.js';

/** Fast-path limits. Go's server allows 1 MB heads; node:http 16 KiB. 64 KiB covers real traffic. */
export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_HEADERS = 128;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** RFC 9110 tchar lookup (shared with the chunked framer's trailer scanner). */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** Bytes allowed in a field value: VCHAR, obs-text, SP, HTAB. */
export const VCHAR = new Uint8Array(256);
for (let c = 33; c <= 126; c++) VCHAR[c] = 1;
for (let c = 128; c <= 255; c++) VCHAR[c] = 1;
VCHAR[SP] = 1;
VCHAR[HTAB] = 1;

/**
 * Bytes allowed in a request-target: visible ASCII only. Raw obs-text (>= 0x80) is refused: node:http (llhttp)
 * refuses it too, and a target the app cannot parse must not reach it.
 */
const TARGETCHAR = new Uint8Array(256);
for (let c = 33; c <= 126; c++) TARGETCHAR[c] = 1;

/** How a header affects framing or proxying; computed once while scanning. */
export const HK = {
  other: 0,
  contentLength: 1,
  transferEncoding: 2,
  connection: 3,
  host: 4,
  /** The rest of `HOP_BY_HOP` (`http/hop-by-hop.ts`): dropped by every proxy hop. */
  hopByHop: 5,
  xForwardedFor: 6,
  upgrade: 7,
  expect: 8,
  te: 9,
  trailer: 10,
} as const;
export type HeaderKind = (typeof HK)[keyof typeof HK];

const KIND_BY_NAME = new Map<string, HeaderKind>([
  ['content-length', HK.contentLength],
  ['transfer-encoding', HK.transferEncoding],
  ['connection', HK.connection],
  ['host', HK.host],
  ['x-forwarded-for', HK.xForwardedFor],
  ['upgrade', HK.upgrade],
  ['expect', HK.expect],
  ['te', HK.te],
  ['trailer', HK.trailer],
]);
// The other hop-by-hop headers (keep-alive, proxy-*) play no part in framing or routing: every hop drops them.
for (const name of HOP_BY_HOP) if (!KIND_BY_NAME.has(name)) KIND_BY_NAME.set(name, HK.hopByHop);

/** Common names interned so that scanning a typical head allocates no name strings at all. */
const INTERNED = new Map<string, string>();
for (const n of [
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'content-length',
  'connection', 'keep-alive', 'transfer-encoding', 'date', 'server', 'cache-control', 'cookie', 'x-forwarded-for',
  'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'k-network-probe', 'k-network-hash', 'k-proxy-request',
  'k-original-host', 'k-kubelet-probe', 'knative-serving-revision', 'knative-serving-namespace',
  'knative-serving-tag', 'knative-serving-default-route', 'traceparent', 'etag', 'last-modified', 'vary',
  'x-kdp-revision', 'authorization', 'origin', 'referer', 'upgrade', 'expect', 'te', 'trailer',
]) INTERNED.set(n, n);

export type HeadError =
  | 'head-too-large'
  | 'too-many-headers'
  | 'bad-start-line'
  | 'bad-target'
  | 'bad-version'
  | 'bad-header'
  | 'bare-lf'
  | 'obs-fold'
  | 'bad-content-length'
  | 'content-length-and-chunked'
  | 'bad-transfer-encoding'
  | 'transfer-encoding-http10'
  | 'bad-chunked-body'
  | 'connect-not-supported'
  | 'missing-host'
  | 'duplicate-host';

export class Head {
  buf: Buffer = Buffer.alloc(0);
  /** Offset just past the blank line ending the head. */
  end = 0;
  count = 0;
  /** Start-line fields. For requests: method/target; for responses: status. */
  method = '';
  target = '';
  versionMinor = 1;
  status = 0;
  startLineEnd = 0;
  readonly names: string[] = new Array<string>(MAX_HEADERS).fill('');
  readonly kinds = new Uint8Array(MAX_HEADERS);
  readonly lineStart = new Int32Array(MAX_HEADERS);
  readonly lineEnd = new Int32Array(MAX_HEADERS); // past CRLF
  readonly valueStart = new Int32Array(MAX_HEADERS);
  readonly valueEnd = new Int32Array(MAX_HEADERS);
  /** Framing: -1 when no Content-Length. */
  contentLength = -1;
  chunked = false;
  /** `Connection: close` (or HTTP/1.0 without keep-alive). */
  close = false;
  /** `Connection` named more than close/keep-alive: those headers are hop-by-hop too. */
  connectionTokens = false;
  hasUpgrade = false;
  hasExpect = false;
  hasTe = false;
  hasXff = false;
  hostIndex = -1;
  /** A Transfer-Encoding other than exactly `chunked` (handed to node:http). */
  otherTransferEncoding = false;

  value(i: number): string {
    return this.buf.toString('latin1', this.valueStart[i], this.valueEnd[i]);
  }

  /** First value of a header by lower-case name. */
  get(lowerName: string): string | undefined {
    const names = this.names;
    for (let i = 0; i < this.count; i++) {
      if (names[i] === lowerName) return this.value(i);
    }
    return undefined;
  }

  /** All values of a header joined with ", " (Go semantics for list headers such as X-Forwarded-For). */
  joined(lowerName: string): string | undefined {
    let out: string | undefined;
    for (let i = 0; i < this.count; i++) {
      if (this.names[i] === lowerName) out = out === undefined ? this.value(i) : `${out}, ${this.value(i)}`;
    }
    return out;
  }

  /** Whether the Connection header lists `lowerName` as hop-by-hop. Only called when `connectionTokens`. */
  connectionLists(lowerName: string): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.kinds[i] !== HK.connection) continue;
      for (const tok of this.value(i).split(',')) {
        if (tok.trim().toLowerCase() === lowerName) return true;
      }
    }
    return false;
  }
}

/** Index of the CRLFCRLF ending a head in `buf[from..]`, or -1. `from` lets a resumed scan skip known bytes. */
export function findHeadEnd(buf: Buffer, from: number): number {
  let i = buf.indexOf('\r\n\r\n', from > 3 ? from - 3 : 0, 'latin1');
  return i === -1 ? -1 : (i += 4);
}

function lowerName(buf: Buffer, s: number, e: number): string | null {
  let hasUpper = false;
  for (let i = s; i < e; i++) {
    const c = buf[i] ?? 0;
    if (TCHAR[c] !== 1) return null;
    if (c >= 65 && c <= 90) hasUpper = true;
  }
  let name = buf.toString('latin1', s, e);
  if (hasUpper) name = name.toLowerCase();
  return INTERNED.get(name) ?? name;
}

function parseHeaders(h: Head, buf: Buffer, pos: number, end: number, isRequest: boolean): HeadError | null {
  let count = 0;
  let hosts = 0;
  while (pos < end - 2) {
    const lineStart = pos;
    const c0 = buf[pos];
    if (c0 === SP || c0 === HTAB) return 'obs-fold';
    const lf = buf.indexOf(LF, pos);
    if (lf === -1 || lf >= end) return 'bad-header';
    if (buf[lf - 1] !== CR) return 'bare-lf';
    const lineEnd = lf - 1;
    const colon = buf.indexOf(COLON, pos);
    if (colon === -1 || colon >= lineEnd || colon === pos) return 'bad-header';
    const name = lowerName(buf, pos, colon);
    if (name === null) return 'bad-header';
    let vs = colon + 1;
    let ve = lineEnd;
    while (vs < ve && (buf[vs] === SP || buf[vs] === HTAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    for (let i = vs; i < ve; i++) if (VCHAR[buf[i] ?? 0] !== 1) return 'bad-header';
    if (count === MAX_HEADERS) return 'too-many-headers';
    const kind = KIND_BY_NAME.get(name) ?? HK.other;
    h.names[count] = name;
    h.kinds[count] = kind;
    h.lineStart[count] = lineStart;
    h.lineEnd[count] = lf + 1;
    h.valueStart[count] = vs;
    h.valueEnd[count] = ve;
    switch (kind) {
      case HK.contentLength: {
        if (ve === vs) return 'bad-content-length';
        let n = 0;
        for (let i = vs; i < ve; i++) {
          const d = (buf[i] ?? 0) - 48;
          if (d < 0 || d > 9) return 'bad-content-length';
          n = n * 10 + d;
        }
        if (n > Number.MAX_SAFE_INTEGER) return 'bad-content-length';
        // A second Content-Length is refused even with the same value, as node:http (llhttp) does: a proxy that
        // accepts what the parser behind it refuses lets the request after it through.
        // (A response may repeat the same value, as Go's client allows; it leaves with one header.)
        if (h.contentLength !== -1 && (isRequest || h.contentLength !== n)) return 'bad-content-length';
        h.contentLength = n;
        break;
      }
      case HK.transferEncoding: {
        // Only a single, exact `chunked` coding stays on the fast path; anything else goes to node:http.
        // Whitespace around the value counts as another coding: llhttp refuses `chunked<TAB>`.
        if (h.chunked || ve - vs !== 7 || vs !== colon + 1 + (buf[colon + 1] === SP ? 1 : 0) || ve !== lineEnd ||
          buf.toString('latin1', vs, ve).toLowerCase() !== 'chunked') {
          h.otherTransferEncoding = true;
        }
        h.chunked = true;
        break;
      }
      case HK.connection: {
        const v = buf.toString('latin1', vs, ve).toLowerCase();
        if (v === 'close') h.close = true;
        else if (v !== 'keep-alive') {
          for (const tok of v.split(',')) {
            const t = tok.trim();
            if (t === 'close') h.close = true;
            else if (t !== 'keep-alive' && t !== '') h.connectionTokens = true;
          }
        }
        break;
      }
      case HK.host:
        hosts++;
        h.hostIndex = count;
        break;
      case HK.upgrade:
        h.hasUpgrade = true;
        break;
      case HK.expect:
        h.hasExpect = true;
        break;
      case HK.te:
        h.hasTe = true;
        break;
      case HK.xForwardedFor:
        h.hasXff = true;
        break;
      default:
        break;
    }
    count++;
    pos = lf + 1;
  }
  h.count = count;
  if (h.chunked && h.contentLength !== -1) return 'content-length-and-chunked';
  if (isRequest) {
    if (hosts > 1) return 'duplicate-host';
    if (hosts === 0 && h.versionMinor === 1) return 'missing-host';
  }
  return null;
}

function reset(h: Head, buf: Buffer, end: number): void {
  h.buf = buf;
  h.end = end;
  h.count = 0;
  h.contentLength = -1;
  h.chunked = false;
  h.close = false;
  h.connectionTokens = false;
  h.hasUpgrade = false;
  h.hasExpect = false;
  h.hasTe = false;
  h.hasXff = false;
  h.hostIndex = -1;
  h.otherTransferEncoding = false;
  h.status = 0;
}

/** HTTP/2 connection preface start (`PRI * HTTP/2.0`), for h2c prior-knowledge detection. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Parses a request head in `buf[0..end)` (end is just past CRLFCRLF). */
export function parseRequestHead(h: Head, buf: Buffer, end: number): HeadError | null {
  reset(h, buf, end);
  const lf = buf.indexOf(LF);
  if (lf <= 0 || buf[lf - 1] !== CR) return 'bare-lf';
  const lineEnd = lf - 1;
  const sp1 = buf.indexOf(SP);
  if (sp1 <= 0 || sp1 >= lineEnd) return 'bad-start-line';
  for (let i = 0; i < sp1; i++) if (TCHAR[buf[i] ?? 0] !== 1) return 'bad-start-line';
  const sp2 = buf.indexOf(SP, sp1 + 1);
  if (sp2 === -1 || sp2 >= lineEnd || sp2 === sp1 + 1) return 'bad-start-line';
  for (let i = sp1 + 1; i < sp2; i++) if (TARGETCHAR[buf[i] ?? 0] !== 1) return 'bad-start-line';
  // "HTTP/1.x"
  if (
    lineEnd - sp2 !== 9 ||
    buf[sp2 + 1] !== 72 || buf[sp2 + 2] !== 84 || buf[sp2 + 3] !== 84 || buf[sp2 + 4] !== 80 ||
    buf[sp2 + 5] !== 47 || buf[sp2 + 6] !== 49 || buf[sp2 + 7] !== 46
  ) {
    return 'bad-version';
  }
  const minor = (buf[sp2 + 8] ?? 0) - 48;
  if (minor !== 0 && minor !== 1) return 'bad-version';
  h.versionMinor = minor;
  h.method = methodString(buf, sp1);
  if (!targetForm(buf, sp1 + 1, sp2, h.method)) return 'bad-target';
  h.target = buf.toString('latin1', sp1 + 1, sp2);
  h.startLineEnd = lf + 1;
  const err = parseHeaders(h, buf, lf + 1, end, true);
  if (err !== null) return err;
  if (minor === 0 && !h.close) {
    // HTTP/1.0 is persistent only with an explicit keep-alive; such requests go to node:http anyway.
    h.close = true;
  }
  return null;
}

/** Parses a response head in `buf[0..end)`. */
export function parseResponseHead(h: Head, buf: Buffer, end: number): HeadError | null {
  reset(h, buf, end);
  const lf = buf.indexOf(LF);
  if (lf <= 0 || buf[lf - 1] !== CR) return 'bare-lf';
  // "HTTP/1.x NNN"
  if (
    lf < 13 || buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 || buf[4] !== 47 ||
    buf[5] !== 49 || buf[6] !== 46 || buf[8] !== SP
  ) {
    return 'bad-start-line';
  }
  const minor = (buf[7] ?? 0) - 48;
  if (minor !== 0 && minor !== 1) return 'bad-version';
  h.versionMinor = minor;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = (buf[i] ?? 0) - 48;
    if (d < 0 || d > 9) return 'bad-start-line';
    status = status * 10 + d;
  }
  if (status < 100) return 'bad-start-line';
  const after = buf[12];
  if (after !== SP && after !== CR) return 'bad-start-line';
  h.status = status;
  h.startLineEnd = lf + 1;
  const err = parseHeaders(h, buf, lf + 1, end, false);
  if (err !== null) return err;
  if (minor === 0 && !h.close) h.close = true;
  return null;
}

/**
 * RFC 9112 §3.2 request-target forms: origin-form (`/…`), absolute-form (`scheme://…`), asterisk-form (`*`, only for
 * OPTIONS) and authority-form (only for CONNECT). Anything else (`GET foo`, `GET ?x`) is refused: parsers disagree on
 * what such a target means.
 */
function targetForm(buf: Buffer, s: number, e: number, method: string): boolean {
  const c0 = buf[s];
  if (c0 === 47 /* / */) return true;
  if (method === 'CONNECT') {
    // host:port with no path.
    const colon = buf.lastIndexOf(COLON, e - 1);
    if (colon <= s || colon === e - 1) return false;
    for (let i = colon + 1; i < e; i++) {
      const c = buf[i] ?? 0;
      if (c < 48 || c > 57) return false;
    }
    for (let i = s; i < colon; i++) if (buf[i] === 47) return false;
    return true;
  }
  if (c0 === 42 /* * */) return e - s === 1 && method === 'OPTIONS';
  // absolute-form: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://"
  const lc0 = (c0 ?? 0) | 0x20;
  if (lc0 < 97 || lc0 > 122) return false;
  for (let i = s + 1; i < e; i++) {
    const c = buf[i] ?? 0;
    if (c === COLON) return i + 2 < e && buf[i + 1] === 47 && buf[i + 2] === 47;
    const lc = c | 0x20;
    if (!((lc >= 97 && lc <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return false;
  }
  return false;
}

/**
 * For a head whose end has not arrived yet: false when `buf[from..]` already shows a line ending other than CRLF (a
 * bare LF, or a CR followed by anything but LF). Such a head can never become valid, and waiting for the CRLFCRLF
 * that will never come would hang the client until the head timeout.
 */
export function lineEndingsOk(buf: Buffer, from: number): boolean {
  const start = from > 0 ? from - 1 : 0;
  let i = buf.indexOf(LF, start);
  while (i !== -1) {
    if (i === 0 || buf[i - 1] !== CR) return false;
    i = buf.indexOf(LF, i + 1);
  }
  i = buf.indexOf(CR, start);
  while (i !== -1) {
    if (i + 1 < buf.length && buf[i + 1] !== LF) return false;
    i = buf.indexOf(CR, i + 1);
  }
  return true;
}

/**
 * For a response head whose end has not arrived yet: false when the bytes so far cannot start a status line
 * (`HTTP/1.`), e.g. an SSH banner or another protocol's greeting, so the proxy fails at once instead of waiting
 * for a head that will never come.
 */
export function responsePrefixOk(buf: Buffer): boolean {
  const n = buf.length < STATUS_PREFIX.length ? buf.length : STATUS_PREFIX.length;
  return buf.compare(STATUS_PREFIX, 0, n, 0, n) === 0 && lineEndingsOk(buf, 0);
}
const STATUS_PREFIX = Buffer.from('HTTP/1.', 'latin1');

const METHODS = new Map<string, string>();
for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']) METHODS.set(m, m);

function methodString(buf: Buffer, end: number): string {
  // The common methods are interned: a GET costs no allocation here.
  if (end === 3 && buf[0] === 71 && buf[1] === 69 && buf[2] === 84) return 'GET';
  const m = buf.toString('latin1', 0, end);
  return METHODS.get(m) ?? m;
}

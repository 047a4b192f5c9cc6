/**
 * Wire-level readers for the differential suite, written independently of the engine under test:
 *  - `parseCanonical` reads what a proxy wrote upstream and says whether every message is in the canonical form
 *    kdp promises to forward (issue 7: one Content-Length, or `Transfer-Encoding: chunked` with plain hex sizes,
 *    no extensions, valid trailers that carry no framing field; CRLF only; token names; no obs-fold; a
 *    request-target of visible ASCII), and returns the messages with their bodies decoded;
 *  - `parseResponses` splits what a server sent back to a client into responses (status + framing), so two
 *    servers' answers to the same bytes can be compared.
 */

export interface WireRequest {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** Offset of the first byte of this message in the parsed stream. */
  readonly start: number;
}

export interface CanonicalParse {
  readonly messages: WireRequest[];
  /** Why the stream is not canonical, at which offset; null when every complete message is canonical. */
  readonly violation: string | null;
  /** Bytes after the last complete message (an unfinished message, e.g. a body cut short by an abort). */
  readonly rest: number;
  /** The request line of that unfinished message, when it has one. */
  readonly partial: { readonly method: string; readonly target: string } | null;
}

function partialAt(buf: Buffer, pos: number): CanonicalParse['partial'] {
  const lf = buf.indexOf('\r\n', pos, 'latin1');
  if (lf === -1) return null;
  const m = /^(\S+) (\S+) HTTP\/1\.[01]$/.exec(buf.toString('latin1', pos, lf));
  return m === null ? null : { method: m[1] ?? '', target: m[2] ?? '' };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field value: VCHAR / obs-text, with SP and HTAB inside (RFC 9110 §5.5). */
const FIELD_VALUE = /^[\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?$/;
const TARGET = /^(\/[\x21-\x7e]*|\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/[\x21-\x7e]+|[\x21-\x7e]+:[0-9]+)$/;
/** Fields that must not appear in a forwarded trailer section: a recipient could take them for framing. */
const FRAMING_TRAILERS = new Set(['content-length', 'transfer-encoding']);

class Incomplete extends Error {}

/** Reads one CRLF-terminated line at `pos`; throws Incomplete if the CRLF has not arrived. */
function line(buf: Buffer, pos: number, what: string): { text: string; next: number } {
  const lf = buf.indexOf(10, pos);
  if (lf === -1) throw new Incomplete();
  if (lf === pos || buf[lf - 1] !== 13) throw new Error(`bare LF in ${what} at ${String(lf)}`);
  const text = buf.toString('latin1', pos, lf - 1);
  if (text.includes('\r')) throw new Error(`bare CR in ${what} at ${String(pos)}`);
  return { text, next: lf + 1 };
}

function parseFields(buf: Buffer, pos: number, what: string): { fields: [string, string][]; next: number } {
  const fields: [string, string][] = [];
  for (;;) {
    const l = line(buf, pos, what);
    pos = l.next;
    if (l.text === '') return { fields, next: pos };
    if (l.text.startsWith(' ') || l.text.startsWith('\t')) throw new Error(`obs-fold in ${what}`);
    const colon = l.text.indexOf(':');
    if (colon <= 0) throw new Error(`${what} line without a colon: ${JSON.stringify(l.text)}`);
    const name = l.text.slice(0, colon);
    if (!TOKEN.test(name)) throw new Error(`${what} name is not a token: ${JSON.stringify(name)}`);
    const value = l.text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    const lower = name.toLowerCase();
    if ((lower === 'content-length' || lower === 'transfer-encoding') && !new RegExp(`^${name}: ?[^ \\t]+(, [^ \\t,]+)*$`).test(l.text)) {
      // Framing fields are where parsers disagree most: a canonical one has no stray whitespace at all.
      throw new Error(`${what} ${name} is not in canonical form: ${JSON.stringify(l.text)}`);
    }
    if (value !== '' && !FIELD_VALUE.test(value)) throw new Error(`${what} ${name} value has CTL or obs-text: ${JSON.stringify(value)}`);
    fields.push([name, value]);
  }
}

function parseOne(buf: Buffer, start: number): { msg: WireRequest; next: number } {
  const sl = line(buf, start, 'request line');
  const m = /^(\S+) (\S+) (HTTP\/1\.[01])$/.exec(sl.text);
  if (m === null) throw new Error(`non-canonical request line: ${JSON.stringify(sl.text)}`);
  const [, method = '', target = '', version = ''] = m;
  if (!TOKEN.test(method)) throw new Error(`method is not a token: ${JSON.stringify(method)}`);
  if (!TARGET.test(target)) throw new Error(`non-canonical request-target: ${JSON.stringify(target)}`);
  const head = parseFields(buf, sl.next, 'header');
  let pos = head.next;
  const cls = head.fields.filter(([n]) => n.toLowerCase() === 'content-length');
  const tes = head.fields.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
  if (cls.length > 1) throw new Error(`${String(cls.length)} Content-Length fields`);
  if (tes.length > 1) throw new Error(`${String(tes.length)} Transfer-Encoding fields`);
  if (cls.length === 1 && tes.length === 1) throw new Error('Content-Length and Transfer-Encoding together');
  const hosts = head.fields.filter(([n]) => n.toLowerCase() === 'host');
  if (hosts.length !== 1) throw new Error(`${String(hosts.length)} Host fields`);
  let body: Buffer;
  if (tes.length === 1) {
    const te = tes[0]?.[1] ?? '';
    if (te.toLowerCase() !== 'chunked') throw new Error(`non-canonical Transfer-Encoding: ${JSON.stringify(te)}`);
    const parts: Buffer[] = [];
    for (;;) {
      const sz = line(buf, pos, 'chunk size');
      if (!/^[0-9a-fA-F]{1,12}$/.test(sz.text)) throw new Error(`non-canonical chunk-size line: ${JSON.stringify(sz.text)}`);
      const n = parseInt(sz.text, 16);
      pos = sz.next;
      if (n === 0) break;
      if (buf.length < pos + n + 2) throw new Incomplete();
      parts.push(buf.subarray(pos, pos + n));
      pos += n;
      if (buf[pos] !== 13 || buf[pos + 1] !== 10) throw new Error('chunk data not followed by CRLF');
      pos += 2;
    }
    const trailers = parseFields(buf, pos, 'trailer');
    for (const [n] of trailers.fields) {
      if (FRAMING_TRAILERS.has(n.toLowerCase())) throw new Error(`framing field in trailer: ${n}`);
    }
    pos = trailers.next;
    body = Buffer.concat(parts);
  } else if (cls.length === 1) {
    const v = cls[0]?.[1] ?? '';
    if (!/^(0|[1-9][0-9]{0,15})$/.test(v)) throw new Error(`non-canonical Content-Length: ${JSON.stringify(v)}`);
    const n = Number(v);
    if (buf.length < pos + n) throw new Incomplete();
    body = buf.subarray(pos, pos + n);
    pos += n;
  } else {
    body = Buffer.alloc(0);
  }
  return { msg: { method, target, version, headers: head.fields, body: Buffer.from(body), start }, next: pos };
}

export function parseCanonical(buf: Buffer): CanonicalParse {
  const messages: WireRequest[] = [];
  let pos = 0;
  while (pos < buf.length) {
    try {
      const { msg, next } = parseOne(buf, pos);
      messages.push(msg);
      pos = next;
    } catch (err) {
      const rest = buf.length - pos;
      if (err instanceof Incomplete) return { messages, violation: null, rest, partial: partialAt(buf, pos) };
      return { messages, violation: `${(err as Error).message} (message at offset ${String(pos)})`, rest, partial: partialAt(buf, pos) };
    }
  }
  return { messages, violation: null, rest: 0, partial: null };
}

export interface WireResponse {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/**
 * Splits a server's byte stream into responses. Interim 1xx responses are kept (status < 200). `headMethods`
 * holds, per final response in order, whether it answers a HEAD request (no body whatever the framing says).
 * Returns the complete responses and whether a trailing partial one was cut off.
 */
export function parseResponses(buf: Buffer, isHead: (i: number) => boolean = () => false): { responses: WireResponse[]; partial: boolean } {
  const responses: WireResponse[] = [];
  let pos = 0;
  let finals = 0;
  while (pos < buf.length) {
    const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (end === -1) return { responses, partial: true };
    const lines = buf.toString('latin1', pos, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (m === null) return { responses, partial: true };
    const status = Number(m[1]);
    const headers: [string, string][] = [];
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers.push([l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()]);
    }
    let p = end + 4;
    let body: Buffer = Buffer.alloc(0);
    const get = (n: string): string | undefined => headers.find(([k]) => k === n)?.[1];
    if (status < 200 || status === 204 || status === 304 || (status >= 200 && isHead(finals))) {
      // no body
    } else if (get('transfer-encoding')?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lf = buf.indexOf('\r\n', p, 'latin1');
        if (lf === -1) return { responses, partial: true };
        const n = parseInt(buf.toString('latin1', p, lf).split(';')[0] ?? '', 16);
        p = lf + 2;
        if (n === 0) {
          const t = buf.indexOf('\r\n\r\n', p - 2, 'latin1');
          if (t === -1) return { responses, partial: true };
          p = t + 4;
          break;
        }
        if (buf.length < p + n + 2) return { responses, partial: true };
        parts.push(buf.subarray(p, p + n));
        p += n + 2;
      }
      body = Buffer.concat(parts);
    } else if (get('content-length') !== undefined) {
      const n = Number(get('content-length'));
      if (buf.length < p + n) return { responses, partial: true };
      body = buf.subarray(p, p + n);
      p += n;
    } else {
      body = buf.subarray(p);
      p = buf.length;
    }
    if (status >= 200) finals++;
    responses.push({ status, headers, body: Buffer.from(body) });
    pos = p;
  }
  return { responses, partial: false };
}

/**
 * The heads the fast path forwards, built from the heads it parsed: the request head it sends upstream and the
 * response head it sends back to the client. Both copy the end-to-end header lines verbatim from the bytes read
 * and re-emit the framing in canonical form (docs/http1-rules.md, rule 1); hop-by-hop headers (`http/hop-by-hop.ts`,
 * classified by `head.ts`) and the names a `Connection` header lists are dropped.
 *
 * Pure: each function reads a parsed `Head` (and its buffer) and returns new bytes; tested on exact bytes in
 * `forward-head.test.ts`. Two passes (size, then copy) so each head is one `allocUnsafe` and one write.
 */
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import { HK, MAX_HEADERS } from './head.js';
import type { Head } from './head.js';

export const CONNECTION_CLOSE = 'Connection: close\r\n';
export const TE_CHUNKED = 'Transfer-Encoding: chunked\r\n';

/** `Content-Length: N\r\n`, cached for the few sizes a service keeps sending (no string built per message). */
const CL_LINES = new Map<number, string>();
export function contentLengthLine(n: number): string {
  let line = CL_LINES.get(n);
  if (line === undefined) {
    line = `Content-Length: ${String(n)}\r\n`;
    if (CL_LINES.size < 1024) CL_LINES.set(n, line);
  }
  return line;
}

/**
 * Which header lines of the head being built survive (1) or not (0), by index. One for the process: a builder
 * runs to completion without yielding, so no two builds ever share it at once, and no request allocates one.
 */
const KEEP = new Uint8Array(MAX_HEADERS);

/**
 * The request head kdp sends upstream for the parsed client request `req`: its request line and end-to-end header
 * lines as read, minus `edits.drop` and what `Connection` lists; then one canonical framing header, `Host: host`
 * (when given, replacing the client's), `X-Forwarded-For` (when `edits.appendXff`: the client's values joined, then
 * `remoteAddress`), `Te: trailers` (when the client asked for trailers), `edits.add`, then `extra`.
 */
export function upstreamRequestHead(
  req: Head,
  edits: ForwardEdits,
  host: string | undefined,
  extra: HeaderList | undefined,
  remoteAddress: string,
): Buffer {
  const buf = req.buf;
  const drop = edits.drop;
  // Pass 1: size.
  let size = req.startLineEnd + 2;
  let xff: string | undefined;
  if (edits.appendXff) {
    const prior = req.hasXff ? req.joined('x-forwarded-for') : undefined;
    xff = prior === undefined ? remoteAddress : `${prior}, ${remoteAddress}`;
  }
  const kinds = req.kinds;
  const names = req.names;
  const keep = KEEP;
  for (let i = 0; i < req.count; i++) {
    const k = kinds[i];
    let ok: boolean;
    switch (k) {
      case HK.other:
        ok = !drop.has(names[i] ?? '') && !(req.connectionTokens && req.connectionLists(names[i] ?? ''));
        break;
      case HK.host:
        ok = host === undefined;
        break;
      case HK.xForwardedFor:
        ok = xff === undefined;
        break;
      default:
        // Framing (re-emitted below in canonical form, whatever `Connection` lists), connection, hop-by-hop,
        // upgrade, expect, te, trailer: dropped here (Te: trailers re-added below).
        ok = false;
    }
    keep[i] = ok ? 1 : 0;
    if (ok) size += (req.lineEnd[i] ?? 0) - (req.lineStart[i] ?? 0);
  }
  // Rule 1 (docs/http1-rules.md): the framing kdp parsed is the framing it sends, in one canonical header.
  let tail = req.chunked ? TE_CHUNKED : req.contentLength >= 0 ? contentLengthLine(req.contentLength) : '';
  if (host !== undefined) tail += `Host: ${host}\r\n`;
  if (xff !== undefined) tail += `X-Forwarded-For: ${xff}\r\n`;
  if (req.hasTe && (req.get('te') ?? '').toLowerCase().includes('trailers')) tail += 'Te: trailers\r\n';
  const add = edits.add;
  for (let i = 0; i + 1 < add.length; i += 2) tail += `${add[i] ?? ''}: ${add[i + 1] ?? ''}\r\n`;
  if (extra !== undefined) {
    for (let i = 0; i + 1 < extra.length; i += 2) tail += `${extra[i] ?? ''}: ${extra[i + 1] ?? ''}\r\n`;
  }
  const tailLen = tail.length; // latin1: one byte per char
  const out = Buffer.allocUnsafe(size + tailLen);
  let pos = buf.copy(out, 0, 0, req.startLineEnd);
  for (let i = 0; i < req.count; i++) {
    if (keep[i] === 1) pos += buf.copy(out, pos, req.lineStart[i], req.lineEnd[i]);
  }
  if (tailLen > 0) pos += out.write(tail, pos, tailLen, 'latin1');
  out[pos] = 13;
  out[pos + 1] = 10;
  return out;
}

/**
 * The response head kdp sends the client for the parsed upstream response `res`: its status line and end-to-end
 * header lines as read (`Trailer` included), minus what `Connection` lists; then one canonical framing header,
 * `Connection: close` when `close`, and `Transfer-Encoding: chunked` when `rechunk` (the app sent no framing and kdp
 * re-chunks the body). The first `inline` body bytes that came after the head (`res.buf[res.end..]`) follow in the
 * same buffer, so a small response leaves in one write.
 */
export function clientResponseHead(res: Head, close: boolean, rechunk: boolean, inline: number): Buffer {
  const buf = res.buf;
  let size = res.startLineEnd + 2 + inline;
  const keep = KEEP;
  for (let i = 0; i < res.count; i++) {
    const k = res.kinds[i];
    // Framing is re-emitted below (rule 1), never copied and never removed by the app's Connection header.
    const ok =
      (k === HK.other || k === HK.trailer || k === HK.host || k === HK.xForwardedFor) &&
      !(res.connectionTokens && res.connectionLists(res.names[i] ?? ''));
    keep[i] = ok ? 1 : 0;
    if (ok) size += (res.lineEnd[i] ?? 0) - (res.lineStart[i] ?? 0);
  }
  const framing = res.chunked ? TE_CHUNKED : res.contentLength >= 0 ? contentLengthLine(res.contentLength) : '';
  size += framing.length;
  if (close) size += CONNECTION_CLOSE.length;
  if (rechunk) size += TE_CHUNKED.length;
  const out = Buffer.allocUnsafe(size);
  let pos = buf.copy(out, 0, 0, res.startLineEnd);
  for (let i = 0; i < res.count; i++) {
    if (keep[i] === 1) pos += buf.copy(out, pos, res.lineStart[i], res.lineEnd[i]);
  }
  if (framing !== '') pos += out.write(framing, pos, 'latin1');
  if (close) pos += out.write(CONNECTION_CLOSE, pos, 'latin1');
  if (rechunk) pos += out.write(TE_CHUNKED, pos, 'latin1');
  out[pos] = 13;
  out[pos + 1] = 10;
  if (inline > 0) buf.copy(out, pos + 2, res.end, res.end + inline);
  return out;
}

/**
 * `Upgrade: h2c` on HTTP/1.1 (RFC 7540 §3.2), which Knative's server accepts (`golang.org/x/net/http2/h2c`).
 *
 * node:http2 cannot adopt a connection whose first request arrived over HTTP/1.1, so the engine makes it look like
 * prior knowledge: answer `101`, read the client's connection preface and first SETTINGS frame, then put back into
 * the socket, right after them, a HEADERS frame for stream 1 carrying the upgraded request (HPACK literals without
 * indexing, so the client's and server's compression state are untouched), and hand the socket to the http2 server.
 * The server then serves stream 1 like any other, and the client reads its response on stream 1 as the RFC wants.
 *
 * Limits: only requests without a body are upgraded (the engine serves others over HTTP/1.1, which RFC 9110 §7.8
 * allows); the `HTTP2-Settings` header is not applied (clients repeat those settings in their preface SETTINGS
 * frame, and a SETTINGS frame injected on their behalf would be acknowledged to a client that never sent it).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { connectionListed, hasToken, headerValue } from './headers.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;
const TYPE_HEADERS = 0x1;
const TYPE_SETTINGS = 0x4;
const TYPE_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
/** SETTINGS_MAX_FRAME_SIZE's initial value: the largest frame our own server accepts before its SETTINGS apply. */
const MAX_FRAME = 16_384;
const SWITCHING = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', 'latin1');

/** Headers an HTTP/2 request must not carry (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
]);

/**
 * Go h2c's `isH2CUpgrade` (`Upgrade` lists `h2c`, `Connection` lists `HTTP2-Settings`) plus RFC 7540 §3.2.1 (exactly
 * one `HTTP2-Settings`), restricted to body-less requests.
 */
export function isH2cUpgrade(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  if (req.httpVersion !== '1.1' || req.method === 'CONNECT') return false;
  if (!hasToken(headerValue(raw, 'upgrade'), 'h2c')) return false;
  if (connectionListed(raw)?.has('http2-settings') !== true) return false;
  let settings = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'http2-settings') settings++;
  return settings === 1 && !hasBody(req);
}

/** The request announced a body: node:http has not parsed it (upgrade requests stop at the head). */
export function hasBody(req: IncomingMessage): boolean {
  const length = headerValue(req.rawHeaders, 'content-length');
  if (length !== undefined) return length.trim() !== '0';
  return headerValue(req.rawHeaders, 'transfer-encoding') !== undefined;
}

function hpackInt(value: number, prefixBits: number, first: number, out: number[]): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let v = value - max;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function hpackString(s: string, out: number[]): void {
  const b = Buffer.from(s, 'latin1');
  hpackInt(b.length, 7, 0, out);
  for (const byte of b) out.push(byte);
}

/** HPACK "literal header field without indexing, new name" for each pair (RFC 7541 §6.2.2). */
export function encodeHeaderBlock(list: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of list) {
    out.push(0x00);
    hpackString(name, out);
    hpackString(value, out);
  }
  return Buffer.from(out);
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

/** HEADERS (+ CONTINUATION) frames opening and closing stream 1 with the upgraded request. */
export function stream1Frames(req: IncomingMessage): Buffer {
  const raw = req.rawHeaders;
  const listed = connectionListed(raw);
  const list: [string, string][] = [
    [':method', req.method ?? 'GET'],
    [':scheme', 'http'],
    [':authority', headerValue(raw, 'host') ?? ''],
    [':path', req.url ?? '/'],
  ];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (CONNECTION_SPECIFIC.has(name) || listed?.has(name) === true) continue;
    if (name === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
    list.push([name, value]);
  }
  const block = encodeHeaderBlock(list);
  const frames: Buffer[] = [];
  for (let off = 0; off < block.length || off === 0; off += MAX_FRAME) {
    const chunk = block.subarray(off, off + MAX_FRAME);
    const last = off + MAX_FRAME >= block.length;
    const type = off === 0 ? TYPE_HEADERS : TYPE_CONTINUATION;
    const flags = (off === 0 ? FLAG_END_STREAM : 0) | (last ? FLAG_END_HEADERS : 0);
    frames.push(frame(type, flags, 1, chunk));
    if (last) break;
  }
  return Buffer.concat(frames);
}

/**
 * Answers the upgrade and, once the client's preface and SETTINGS frame are in, calls `adopt` with the socket
 * holding preface + SETTINGS + stream 1 + whatever followed (unread, paused). Destroys the socket if the preface
 * does not come within `prefaceTimeoutMs` or is not HTTP/2.
 */
export function upgradeToH2c(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  prefaceTimeoutMs: number,
  adopt: (socket: Socket) => void,
): void {
  const stream1 = stream1Frames(req);
  let buf: Buffer = Buffer.from(head);
  let headWritten = false;
  let settled = false;
  const timer =
    prefaceTimeoutMs > 0
      ? setTimeout(() => {
          fail();
        }, prefaceTimeoutMs)
      : null;

  const cleanup = (): void => {
    settled = true;
    if (timer !== null) clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', fail);
  };
  function fail(): void {
    if (settled) return;
    cleanup();
    socket.destroy();
  }
  const tryAdopt = (): void => {
    if (settled || !headWritten) return;
    const have = Math.min(buf.length, PREFACE.length);
    if (!buf.subarray(0, have).equals(PREFACE.subarray(0, have))) {
      fail();
      return;
    }
    if (buf.length < PREFACE.length + FRAME_HEADER) return;
    if (buf[PREFACE.length + 3] !== TYPE_SETTINGS) {
      fail();
      return;
    }
    const end = PREFACE.length + FRAME_HEADER + buf.readUIntBE(PREFACE.length, 3);
    if (buf.length < end) return;
    cleanup();
    socket.pause();
    socket.unshift(Buffer.concat([buf.subarray(0, end), stream1, buf.subarray(end)]));
    adopt(socket);
  };
  function onData(chunk: Buffer): void {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    tryAdopt();
  }

  socket.on('error', () => undefined);
  socket.once('close', fail);
  socket.on('data', onData);
  // The http2 server writes its SETTINGS through the handle, past the socket's JS write queue: the 101 must be
  // flushed first.
  socket.write(SWITCHING, () => {
    headWritten = true;
    tryAdopt();
  });
}

/**
 * One client connection on the byte-level HTTP/1.1 fast path. The object is also the `Exchange` of the request
 * in progress: one request at a time per connection, so the exchange is reused and a request allocates little
 * beyond the upstream head it builds.
 *
 * Bytes flow as received: the request head is edited on bytes (hop-by-hop headers dropped, X-Forwarded-For
 * appended, Host replaced), bodies are forwarded as the same Buffers that were read, and the framer only counts
 * where each body ends. Backpressure: pause the reading side whenever the writing side's `write()` returns false.
 */
import type net from 'node:net';
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Exchange, FinishListener, ForwardEdits, HeaderList, Outcome, Protocol, Timeouts, UnreachableCause } from '../http/exchange.js';
import { appUnreachableAnswer, refusedConnect, UNREACHABLE_BODY_MAX } from '../http/unreachable.js';
import type { Upstream } from '../http/upstream.js';
import { BodyFramer, FRAMING } from './framer.js';
import {
  H2_PREFACE, HK, Head, MAX_HEAD_BYTES, findHeadEnd, lineEndingsOk, parseRequestHead, parseResponseHead, responsePrefixOk,
} from './head.js';
import type { HeadError } from './head.js';
import { poolOf } from './pool.js';
import { errorHeaders } from '../errors.js';
import type { KdpCause } from '../errors.js';
import { describeUpstreamError } from '../http/upstream-error.js';
import { statusLine } from '../http/status-line.js';
import type { UpConn, UpOwner } from './pool.js';

export interface EngineHooks {
  readonly handler: (ex: Exchange) => void;
  /** Hands a connection to node:http / node:http2; null answers such requests with an error instead. */
  readonly adoptHttp1: ((socket: net.Socket, buffered: Buffer) => void) | null;
  readonly adoptHttp2: ((socket: net.Socket, buffered: Buffer) => void) | null;
  readonly dateHeader: () => string;
  readonly armTimeouts: (c: ClientConn) => void;
  readonly disarmTimeouts: (c: ClientConn) => void;
  readonly removed: (c: ClientConn) => void;
  /** When set, every response gets `Connection: close` and connections end after it. */
  readonly closing: () => boolean;
}

// Request-side phase.
const R_HEAD = 0;
const R_BODY = 1;
const R_DONE = 2;
// Exchange phase.
const X_NONE = 0;
const X_PENDING = 1; // handler has the request, not yet forwarded/answered
const X_FORWARDING = 2;
// Response-side phase (forwarding only).
const S_HEAD = 0;
const S_BODY = 1;

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const CONNECTION_CLOSE = 'Connection: close\r\n';
const TE_CHUNKED = 'Transfer-Encoding: chunked\r\n';
/** Bodies up to this size are copied behind the head and written with it in one buffer. */
const INLINE_BODY_MAX = 4096;

/** `Content-Length: N\r\n`, cached for the few sizes a service keeps sending (no string built per message). */
const CL_LINES = new Map<number, string>();
function contentLengthLine(n: number): string {
  let line = CL_LINES.get(n);
  if (line === undefined) {
    line = `Content-Length: ${String(n)}\r\n`;
    if (CL_LINES.size < 1024) CL_LINES.set(n, line);
  }
  return line;
}

const HEAD_ERROR_STATUS: Record<HeadError, number> = {
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

function peerAddress(socket: net.Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}


export class ClientConn implements Exchange, UpOwner {
  // Exchange surface
  method = '';
  target = '';
  readonly protocol: Protocol = 'HTTP/1.1';
  readonly remoteAddress: string;
  startedAt = 0;
  responseStarted = false;
  responseStartedAt = 0;
  finished = true;
  state: unknown = null;
  onFinish: FinishListener | null = null;

  // Timeouts (read by the engine's sweep)
  timeouts: Timeouts | null = null;
  armedAt = 0;
  lastWriteAt = 0;

  private readonly req = new Head();
  private readonly res = new Head();
  private readonly reqBody = new BodyFramer();
  private readonly resBody = new BodyFramer();

  private rPhase = R_HEAD;
  private xPhase = X_NONE;
  private sPhase = S_HEAD;
  /** Partial head bytes (request or response side) waiting for more data. */
  private headAcc: Buffer | null = null;
  private resAcc: Buffer | null = null;
  /** Request body bytes received before the upstream socket could take them. */
  private held: Buffer[] = [];
  /** Bytes of the next pipelined request, read while this one was in progress. */
  private pipelined: Buffer | null = null;
  private first = true;
  private closeAfter = false;
  private clientGone = false;
  private status = 0;
  /** The upstream response has no framing: re-chunk it for the client. */
  private rechunk = false;
  private headRequest = false;
  private requestHasBody = false;
  private up: UpConn | null = null;
  private upstream: Upstream | null = null;
  private upHead: Buffer | null = null;
  private retried = false;
  /** The upstream's failover hook was offered the current request (once at most). */
  private offered = false;
  /** First byte of an unfinished head (for the head-read timeout); 0 when none. */
  headStartedAt = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly hooks: EngineHooks,
  ) {
    this.remoteAddress = peerAddress(socket);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  header(lowerName: string): string | undefined {
    return this.req.get(lowerName);
  }

  /** True when no request is in progress and no partial head is buffered. */
  get idle(): boolean {
    return this.xPhase === X_NONE && this.rPhase === R_HEAD && this.headAcc === null;
  }

  /** Engine asks the connection to finish what it is doing and close. */
  shutdown(): void {
    if (this.idle) this.socket.destroy();
    else this.closeAfter = true;
  }

  // ---------------------------------------------------------------- client side

  private readonly onError = (): void => {
    // 'close' follows; nothing to do here but keep the error from being thrown.
  };

  private readonly onClose = (): void => {
    this.clientGone = true;
    if (!this.finished) {
      this.abortUpstream();
      this.finish('client-aborted');
    }
    this.hooks.removed(this);
  };

  private readonly onDrain = (): void => {
    // The client caught up: let the upstream send more.
    const up = this.up;
    if (up !== null && this.xPhase === X_FORWARDING) up.socket.resume();
  };

  private readonly onData = (chunk: Buffer): void => {
    switch (this.rPhase) {
      case R_HEAD:
        this.onHeadData(chunk);
        return;
      case R_BODY:
        this.onBody(chunk, 0);
        return;
      default:
        this.holdPipelined(chunk);
    }
  };

  private holdPipelined(chunk: Buffer): void {
    this.pipelined = this.pipelined === null ? chunk : Buffer.concat([this.pipelined, chunk]);
    this.socket.pause();
  }

  private onHeadData(chunk: Buffer): void {
    let buf = chunk;
    let from = 0;
    if (this.headAcc !== null) {
      from = this.headAcc.length;
      buf = Buffer.concat([this.headAcc, chunk]);
      this.headAcc = null;
    }
    if (this.first) {
      // h2c prior knowledge starts with the HTTP/2 preface instead of a request line.
      if (buf[0] === 0x50 /* P */ && this.hooks.adoptHttp2 !== null) {
        const n = Math.min(buf.length, H2_PREFACE.length);
        if (buf.compare(H2_PREFACE, 0, n, 0, n) === 0) {
          if (n < H2_PREFACE.length) {
            this.headAcc = buf;
            return;
          }
          this.handOff(buf, this.hooks.adoptHttp2);
          return;
        }
      }
    }
    const end = findHeadEnd(buf, from);
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) {
        this.rejectHead('head-too-large');
        return;
      }
      if (!lineEndingsOk(buf, from)) {
        // A bare LF or CR: the CRLFCRLF this scan waits for may never come. Refuse now rather than at the timeout.
        this.rejectHead('bare-lf');
        return;
      }
      if (this.headStartedAt === 0) this.headStartedAt = performance.now();
      this.headAcc = buf;
      return;
    }
    if (end > MAX_HEAD_BYTES) {
      this.rejectHead('head-too-large');
      return;
    }
    this.headStartedAt = 0;
    this.first = false;
    const req = this.req;
    const err = parseRequestHead(req, buf, end);
    if (err !== null) {
      this.rejectHead(err);
      return;
    }
    if (req.method === 'CONNECT') {
      // A tunnel request: what follows its head is not HTTP, and a node:http app treats it as tunnel bytes while a
      // proxy reading it as a next request would disagree. No serverless app serves CONNECT; refuse and close.
      this.rejectHead('connect-not-supported');
      return;
    }
    if (req.chunked) {
      // Only a single, exact `Transfer-Encoding: chunked` is accepted, as Go's server does (Knative's queue-proxy
      // answers 501 to any other coding list): `identity, chunked`, `gzip, chunked` or a repeated header are read
      // differently by different parsers. HTTP/1.0 has no Transfer-Encoding at all (RFC 9112 §6.1).
      if (req.otherTransferEncoding) {
        this.rejectHead('bad-transfer-encoding');
        return;
      }
      if (req.versionMinor === 0) {
        this.rejectHead('transfer-encoding-http10');
        return;
      }
    }
    if (req.versionMinor === 0 || req.hasUpgrade || req.hasExpect) {
      if (this.hooks.adoptHttp1 !== null) {
        this.handOff(buf, this.hooks.adoptHttp1);
        return;
      }
      // Without a fallback, serve it here: Upgrade and Expect are then simply ignored (RFC 9110 allows it).
    }
    this.startExchange(buf, end);
  }

  private handOff(buf: Buffer, adopt: (socket: net.Socket, buffered: Buffer) => void): void {
    const s = this.socket;
    s.removeListener('data', this.onData);
    s.removeListener('drain', this.onDrain);
    s.removeListener('close', this.onClose);
    s.removeListener('error', this.onError);
    this.hooks.removed(this);
    adopt(s, buf);
  }

  private rejectHead(err: HeadError): void {
    const status = HEAD_ERROR_STATUS[err];
    const body = `${String(status)} ${STATUS_CODES[status] ?? ''}: ${err}`;
    this.socket.end(
      `${statusLine(status)}Content-Type: text/plain; charset=utf-8\r\nX-Kdp-Error: bad-request\r\n` +
        `Connection: close\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`,
    );
    this.rPhase = R_DONE;
    this.closeAfter = true;
  }

  private startExchange(buf: Buffer, end: number): void {
    const req = this.req;
    this.method = req.method;
    this.target = req.target;
    this.startedAt = performance.now();
    this.responseStarted = false;
    this.responseStartedAt = 0;
    this.finished = false;
    this.state = null;
    this.onFinish = null;
    this.status = 0;
    this.retried = false;
    this.offered = false;
    this.upHead = null;
    this.sentHead = null;
    this.upstream = null;
    this.headRequest = req.method === 'HEAD';
    if (req.close) this.closeAfter = true;
    if (req.chunked) {
      this.reqBody.reset(FRAMING.chunked, 0);
      this.reqBody.reframe(this.onCanonicalPiece);
      this.requestHasBody = true;
    } else if (req.contentLength > 0) {
      this.reqBody.reset(FRAMING.length, req.contentLength);
      this.requestHasBody = true;
    } else {
      this.reqBody.reset(FRAMING.none, 0);
      this.requestHasBody = false;
    }
    this.rPhase = this.reqBody.done ? R_DONE : R_BODY;
    this.xPhase = X_PENDING;
    // Body bytes that came with the head are held for the upstream before the handler runs, so that a
    // handler answering at once sees a fully read request and the connection stays reusable.
    let pos = end;
    if (this.rPhase === R_BODY && end < buf.length) {
      const framer = this.reqBody;
      const stop = framer.consume(buf, end, buf.length);
      if (framer.error) {
        this.held.length = 0;
        this.rejectHead('bad-chunked-body');
        return;
      }
      // (a chunked body already went to `held` through the canonical sink)
      if (stop > end && framer.framing === FRAMING.length) this.held.push(buf.subarray(end, stop));
      pos = stop;
      if (framer.done) this.rPhase = R_DONE;
    }
    if (pos < buf.length) this.pipelined = buf.subarray(pos);
    this.hooks.handler(this);
    if (this.xPhase === X_PENDING && !this.finished) this.socket.pause();
  }

  private onBody(buf: Buffer, start: number): void {
    const framer = this.reqBody;
    let stop: number;
    if (framer.framing === FRAMING.chunked) {
      // The canonical pieces of one read leave in one upstream write.
      const up = this.up;
      const corked = up !== null && up.connected && this.xPhase === X_FORWARDING ? up.socket : null;
      if (corked !== null) corked.cork();
      stop = framer.consume(buf, start, buf.length);
      if (corked !== null) corked.uncork();
    } else stop = framer.consume(buf, start, buf.length);
    if (framer.error) {
      if (!this.responseStarted && !this.finished) {
        this.abortUpstream();
        this.respondError(400, 'bad-request', 'malformed chunked request body');
      }
      this.closeAfter = true;
      this.socket.destroySoon();
      return;
    }
    if (stop > start && framer.framing === FRAMING.length) {
      const part = start === 0 && stop === buf.length ? buf : buf.subarray(start, stop);
      this.deliverBody(part);
    }
    if (framer.done) {
      this.rPhase = R_DONE;
      if (stop < buf.length) this.holdPipelined(buf.subarray(stop));
      if (this.finished) this.next();
    }
  }

  /** Receives a chunked request body re-framed by the framer (plain sizes, no extensions, no trailers). */
  private readonly onCanonicalPiece = (piece: Buffer): void => {
    this.deliverBody(piece);
  };

  private deliverBody(part: Buffer): void {
    if (this.finished) return; // answered locally: the rest of the body is discarded
    const up = this.up;
    if (this.xPhase === X_FORWARDING && up !== null && up.connected && this.upHead === null) {
      if (!up.socket.write(part)) this.socket.pause();
      return;
    }
    this.held.push(part);
    this.socket.pause();
  }

  /** The exchange ended: read the next request, or close. */
  private next(): void {
    if (this.clientGone) return;
    if (this.closeAfter || this.hooks.closing()) {
      this.socket.end();
      return;
    }
    if (this.rPhase !== R_DONE) return; // still reading (discarding) the request body
    this.rPhase = R_HEAD;
    const p = this.pipelined;
    this.pipelined = null;
    this.socket.resume();
    if (p !== null) this.onHeadData(p);
  }

  /**
   * `answered`: the engine wrote a whole response of its own (a 502 or 504 with a Content-Length), so the client
   * connection is still in step and stays open, as Go's server keeps it after a ReverseProxy error; otherwise an
   * outcome other than 'complete' closes it.
   */
  private finish(outcome: Outcome, answered = false): void {
    if (this.finished) return;
    this.finished = true;
    this.xPhase = X_NONE;
    this.held.length = 0;
    if (this.timeouts !== null) {
      this.hooks.disarmTimeouts(this);
      this.timeouts = null;
    }
    const cb = this.onFinish;
    this.onFinish = null;
    if (cb !== null) cb(this, outcome, this.status);
    if (outcome !== 'complete' && !answered) this.closeAfter = true;
    if (this.rPhase !== R_DONE && !this.clientGone && (outcome === 'complete' || answered)) {
      // The response is complete but the request body is not: don't wait for it, close after the response.
      this.closeAfter = true;
    }
    this.next();
  }

  // ---------------------------------------------------------------- Exchange API

  setTimeouts(t: Timeouts): void {
    if (this.finished || this.timeouts !== null) return;
    if (t.totalMs <= 0 && t.responseStartMs <= 0 && t.idleMs <= 0) return;
    this.timeouts = t;
    this.armedAt = performance.now();
    this.hooks.armTimeouts(this);
  }

  respond(status: number, headers: HeaderList, body: string): void {
    if (this.finished || this.responseStarted) return;
    this.abortUpstream();
    this.writeLocal(status, headers, body);
    this.finish('complete');
  }

  private writeLocal(status: number, headers: HeaderList, body: string): void {
    let head = statusLine(status);
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i] ?? ''}: ${headers[i + 1] ?? ''}\r\n`;
    const close = this.closeAfter || this.hooks.closing() || this.rPhase !== R_DONE;
    if (close) {
      this.closeAfter = true;
      head += CONNECTION_CLOSE;
    }
    head += `Date: ${this.hooks.dateHeader()}\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\n\r\n`;
    this.responseStarted = true;
    this.status = status;
    this.lastWriteAt = this.responseStartedAt = performance.now();
    this.socket.write(this.headRequest ? head : head + body);
  }

  private respondError(status: number, cause: KdpCause, message: string): void {
    this.writeLocal(status, errorHeaders(cause), `${message}\n`);
  }

  forward(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra?: HeaderList): void {
    if (this.finished || this.xPhase !== X_PENDING) return;
    this.xPhase = X_FORWARDING;
    this.sPhase = S_HEAD;
    this.upstream = upstream;
    this.upHead = this.buildUpstreamHead(edits, host, extra);
    this.sentHead = this.upHead;
    this.connectUpstream();
  }

  private connectUpstream(): void {
    const upstream = this.upstream;
    if (upstream === null) return;
    const up = poolOf(upstream).acquire(this);
    if (up === null) {
      this.waitingForUpstream = true; // at the connection cap: onUpstreamAssigned follows
      return;
    }
    this.up = up;
    if (up.connected) this.onUpstreamConnect(up);
  }

  private waitingForUpstream = false;

  onUpstreamAssigned(up: UpConn): void {
    this.waitingForUpstream = false;
    if (this.finished || this.xPhase !== X_FORWARDING) {
      // Gone while waiting (timeout, client abort): hand the socket straight back.
      up.owner = null;
      poolOf(up.pool.upstream).release(up);
      return;
    }
    this.up = up;
    if (up.connected) this.onUpstreamConnect(up);
  }

  private buildUpstreamHead(edits: ForwardEdits, host: string | undefined, extra?: HeaderList): Buffer {
    const req = this.req;
    const buf = req.buf;
    const drop = edits.drop;
    // Pass 1: size.
    let size = req.startLineEnd + 2;
    let xff: string | undefined;
    if (edits.appendXff) {
      const prior = req.hasXff ? req.joined('x-forwarded-for') : undefined;
      xff = prior === undefined ? this.remoteAddress : `${prior}, ${this.remoteAddress}`;
    }
    const kinds = req.kinds;
    const names = req.names;
    const keep = this.keepScratch;
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

  private readonly keepScratch = new Uint8Array(128);

  // ---------------------------------------------------------------- upstream side

  onUpstreamConnect(up: UpConn): void {
    if (up !== this.up) return;
    const head = this.upHead;
    if (head === null) return;
    this.upHead = null;
    const s = up.socket;
    const held = this.held;
    if (held.length === 0) {
      s.write(head);
    } else {
      s.cork();
      s.write(head);
      for (let i = 0; i < held.length; i++) s.write(held[i] as Buffer);
      held.length = 0;
      process.nextTick(uncork, s);
    }
    if (this.rPhase === R_BODY) this.socket.resume();
  }

  onUpstreamDrain(up: UpConn): void {
    if (up === this.up && this.rPhase === R_BODY) this.socket.resume();
  }

  onUpstreamData(up: UpConn, chunk: Buffer): void {
    if (up !== this.up) return;
    if (this.sPhase === S_HEAD) this.onResponseHead(up, chunk);
    else this.onResponseBody(up, chunk, 0);
  }

  private onResponseHead(up: UpConn, chunk: Buffer): void {
    let buf = chunk;
    let from = 0;
    if (this.resAcc !== null) {
      from = this.resAcc.length;
      buf = Buffer.concat([this.resAcc, chunk]);
      this.resAcc = null;
    }
    for (;;) {
      const end = findHeadEnd(buf, from);
      if (end === -1) {
        if (buf.length > MAX_HEAD_BYTES) {
          this.upstreamFailed(up, new Error('net/http: response head too large'));
          return;
        }
        if (!responsePrefixOk(buf)) {
          // Not HTTP (an SSH banner, a TLS alert, …): 502 now, not 504 at the timeout.
          this.upstreamFailed(up, new Error(`net/http: malformed HTTP response ${JSON.stringify(buf.toString('latin1', 0, Math.min(buf.length, 40)))}`));
          return;
        }
        this.resAcc = buf;
        return;
      }
      const res = this.res;
      const err = parseResponseHead(res, buf, end);
      if (err !== null) {
        this.upstreamFailed(up, new Error(`net/http: malformed HTTP response (${err})`));
        return;
      }
      if (res.otherTransferEncoding) {
        // Go's client refuses any coding list but `chunked` too; re-framing `gzip, chunked` as chunked would hand
        // the client gzip bytes it was not told about.
        this.upstreamFailed(up, new Error('net/http: unsupported transfer encoding in response'));
        return;
      }
      // A queue-proxy that could not reach its app: its one-line dial error came with the head (one write).
      if (res.status === 502 && this.upstream !== null && this.upstream.onUnreachable !== null && !this.requestHasBody) {
        const n = res.contentLength;
        if (n > 0 && n <= UNREACHABLE_BODY_MAX && end + n <= buf.length) {
          const cause = appUnreachableAnswer(502, res.get('x-kdp-error'), buf.toString('latin1', end, end + n));
          if (cause !== null && this.offerElsewhere(cause)) return;
        }
      }
      if (res.status >= 100 && res.status < 200 && res.status !== 101) {
        // 1xx informational: relay verbatim, then expect the final head.
        if (!this.responseStarted) this.responseStartedAt = performance.now();
        this.responseStarted = true;
        this.lastWriteAt = performance.now();
        this.socket.write(buf.subarray(0, end));
        if (end === buf.length) return;
        buf = buf.subarray(end);
        from = 0;
        continue;
      }
      this.setResponseFraming();
      // Body bytes that came with the head: a small body leaves in the same buffer as the head (one write(),
      // no writev); a larger one right after it, corked into one syscall.
      const framer = this.resBody;
      let stop = end;
      if (!framer.done && end < buf.length && !this.rechunk) {
        stop = framer.consume(buf, end, buf.length);
        if (framer.error) {
          this.upstreamFailed(up, new Error('net/http: malformed chunked response body'));
          return;
        }
      }
      const inline = stop - end <= INLINE_BODY_MAX ? stop - end : 0;
      // Everything at hand fits in one buffer: one write(), nothing to cork.
      const single = inline === stop - end && !(this.rechunk && end < buf.length);
      const sock = this.socket;
      if (!single) sock.cork();
      this.writeResponseHead(buf, end, inline);
      this.sPhase = S_BODY;
      if (!single) {
        if (this.rechunk) this.onResponseBody(up, buf, end);
        else if (!sock.write(buf.subarray(end, stop))) up.socket.pause();
        process.nextTick(uncork, sock);
      }
      if (framer.done && this.up === up) this.responseDone(up);
      return;
    }
  }

  private setResponseFraming(): void {
    const res = this.res;
    this.status = res.status;
    const bodyless = this.headRequest || res.status === 204 || res.status === 304 || res.status === 101;
    this.rechunk = false;
    if (bodyless) this.resBody.reset(FRAMING.none, 0);
    else if (res.chunked) this.resBody.reset(FRAMING.chunked, 0);
    else if (res.contentLength >= 0) this.resBody.reset(FRAMING.length, res.contentLength);
    else {
      this.resBody.reset(FRAMING.eof, 0);
      this.rechunk = true;
    }
    if (res.close) this.closeAfterUpstream = true;
  }

  /** Writes the edited response head, followed in the same buffer by `inline` body bytes from `buf[end..]`. */
  private writeResponseHead(buf: Buffer, end: number, inline: number): void {
    const res = this.res;
    let size = res.startLineEnd + 2 + inline;
    const keep = this.keepScratch;
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
    const close = this.closeAfter || this.hooks.closing();
    if (close) {
      this.closeAfter = true;
      size += CONNECTION_CLOSE.length;
    }
    if (this.rechunk) size += TE_CHUNKED.length;
    const out = Buffer.allocUnsafe(size);
    let pos = buf.copy(out, 0, 0, res.startLineEnd);
    for (let i = 0; i < res.count; i++) {
      if (keep[i] === 1) pos += buf.copy(out, pos, res.lineStart[i], res.lineEnd[i]);
    }
    if (framing !== '') pos += out.write(framing, pos, 'latin1');
    if (close) pos += out.write(CONNECTION_CLOSE, pos, 'latin1');
    if (this.rechunk) pos += out.write(TE_CHUNKED, pos, 'latin1');
    out[pos] = 13;
    out[pos + 1] = 10;
    if (inline > 0) buf.copy(out, pos + 2, end, end + inline);
    this.lastWriteAt = performance.now();
    if (!this.responseStarted) this.responseStartedAt = this.lastWriteAt;
    this.responseStarted = true;
    this.socket.write(out);
  }

  private closeAfterUpstream = false;

  private onResponseBody(up: UpConn, buf: Buffer, start: number): void {
    const framer = this.resBody;
    const stop = framer.consume(buf, start, buf.length);
    if (framer.error) {
      this.upstreamFailed(up, new Error('net/http: malformed chunked response body'));
      return;
    }
    if (stop > start) {
      const part = start === 0 && stop === buf.length ? buf : buf.subarray(start, stop);
      this.lastWriteAt = performance.now();
      let ok: boolean;
      if (this.rechunk) {
        const s = this.socket;
        s.cork();
        s.write(`${(stop - start).toString(16)}\r\n`, 'latin1');
        s.write(part);
        ok = s.write(CRLF);
        process.nextTick(uncork, s);
      } else ok = this.socket.write(part);
      if (!ok) up.socket.pause();
    }
    if (framer.done) this.responseDone(up);
  }

  private responseDone(up: UpConn): void {
    const reusable = !this.closeAfterUpstream && this.rPhase === R_DONE && this.resBody.framing !== FRAMING.eof;
    this.closeAfterUpstream = false;
    this.up = null;
    up.socket.resume();
    if (reusable) poolOf(up.pool.upstream).release(up);
    else up.destroy();
    this.finish('complete');
  }

  onUpstreamClose(up: UpConn, err: Error | null): void {
    if (up !== this.up) return;
    this.up = null;
    if (this.finished) return;
    if (this.sPhase === S_BODY && this.resBody.framing === FRAMING.eof && err === null) {
      // Close-delimited response: its end is the close.
      this.closeAfterUpstream = false;
      this.socket.write(LAST_CHUNK);
      this.finish('complete');
      return;
    }
    if (
      !this.responseStarted && this.sPhase === S_HEAD && up.reused && !this.retried && !this.requestHasBody &&
      this.resAcc === null && this.replayable()
    ) {
      // A stale keep-alive socket closed under us before any response byte: retry once on a fresh one, as Go's
      // Transport does, and only for what it replays (`Request.isReplayable`): a bodiless request whose method is
      // idempotent or that carries an idempotency key. The app may have executed a POST before closing.
      this.retried = true;
      this.upHead = this.sentHead;
      if (this.upHead !== null) {
        this.connectUpstream();
        return;
      }
    }
    this.upstreamFailed(null, err);
  }

  private replayable(): boolean {
    switch (this.method) {
      case 'GET':
      case 'HEAD':
      case 'OPTIONS':
      case 'TRACE':
        return true;
      default:
        return this.req.get('idempotency-key') !== undefined || this.req.get('x-idempotency-key') !== undefined;
    }
  }

  /** The upstream head of the current request, kept for the stale-socket retry. */
  private sentHead: Buffer | null = null;

  private upstreamFailed(up: UpConn | null, err: Error | null): void {
    if (up !== null) up.destroy();
    this.up = null;
    this.resAcc = null;
    if (this.finished) return;
    if (!this.responseStarted) {
      if (refusedConnect(err) && this.offerElsewhere('refused')) return;
      const upstream = this.upstream;
      const text = upstream === null ? String(err) : describeUpstreamError(err, upstream.authority);
      this.respondError(502, 'upstream-unreachable', text);
      this.finish('upstream-error', true);
      return;
    }
    // Mid-response failure: abort the client connection like Go's http.ErrAbortHandler.
    this.socket.destroy();
    this.finish('upstream-error');
  }

  /**
   * Offers a bodiless request that provably never reached the app to the upstream's `onUnreachable` hook; true when
   * the handler took it over (the exchange is back before `forward`).
   */
  private offerElsewhere(cause: UnreachableCause): boolean {
    const hook = this.upstream?.onUnreachable ?? null;
    if (hook === null || this.offered || this.responseStarted || this.finished || this.requestHasBody) return false;
    this.offered = true;
    this.abortUpstream();
    this.xPhase = X_PENDING;
    const retried = this.retried;
    this.retried = false;
    if (hook(this, cause)) return true;
    if (this.xPhase === X_PENDING) this.xPhase = X_FORWARDING;
    this.retried = retried;
    return false;
  }

  private abortUpstream(): void {
    const up = this.up;
    this.up = null;
    this.resAcc = null;
    if (up !== null) up.destroy();
    if (this.waitingForUpstream && this.upstream !== null) {
      this.waitingForUpstream = false;
      poolOf(this.upstream).cancel(this);
    }
  }

  // ---------------------------------------------------------------- timeouts (called by the engine's sweep)

  /** Returns true if a timeout fired. */
  checkTimeouts(now: number): boolean {
    const t = this.timeouts;
    if (t === null || this.finished) return false;
    const elapsed = now - this.armedAt;
    let fire = t.totalMs > 0 && elapsed >= t.totalMs;
    if (!fire && t.responseStartMs > 0 && !this.responseStarted && elapsed >= t.responseStartMs) fire = true;
    if (!fire && t.idleMs > 0) {
      const since = this.responseStarted ? now - this.lastWriteAt : elapsed;
      if (since >= t.idleMs) fire = true;
    }
    if (!fire) return false;
    this.timeout(t);
    return true;
  }

  private timeout(t: Timeouts): void {
    this.abortUpstream();
    if (!this.responseStarted) {
      this.writeLocal(504, errorHeaders('timeout'), t.message);
      this.finish('timeout', true);
      return;
    }
    // Response started: append the message if the framing allows it, else abort (Go does the same).
    const framing = this.resBody.framing;
    if (this.sPhase === S_BODY && (this.rechunk || (framing === FRAMING.chunked && this.resBody.atChunkBoundary))) {
      const len = Buffer.byteLength(t.message);
      this.socket.write(`${len.toString(16)}\r\n${t.message}\r\n0\r\n\r\n`);
      this.closeAfter = true;
      this.finish('timeout');
      return;
    }
    this.socket.destroy();
    this.finish('timeout');
  }
}

function uncork(s: net.Socket): void {
  s.uncork();
}

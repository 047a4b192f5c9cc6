/**
 * The client side of a fast-path connection: reads requests from the client socket (head found and validated on
 * bytes, bodies counted or re-framed by the framer), and is the `Exchange` of the request in progress: one request
 * at a time per connection, so the object is reused and a request allocates little beyond the upstream head.
 *
 * The request head is forwarded as built by `forward-head.ts` (hop-by-hop headers dropped, X-Forwarded-For
 * appended, Host replaced, framing canonical); the upstream socket and the response belong to the connection's
 * `UpstreamLeg` (`upstream-leg.ts`). Bodies go as the same Buffers that were read. Backpressure: the client socket
 * is paused whenever the upstream socket's `write()` returns false and resumed on its `'drain'` (`resumeBody`).
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type {
  Exchange, FinishListener, ForwardEdits, HeaderList, Outcome, Protocol, Timeouts, UnreachableCause, UnreachableHandler,
} from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import { errorHeaders } from '../errors.js';
import type { KdpCause } from '../errors.js';
import { upstreamRequestHead } from './forward-head.js';
import { BodyFramer, FRAMING } from './framer.js';
import { Head, MAX_HEAD_BYTES, findHeadEnd, lineEndingsOk, parseRequestHead } from './head.js';
import type { HeadError } from './head.js';
import { localResponseHead, refusal } from './local-head.js';
import { PREFACE_PARTIAL, PREFACE_WHOLE, h2Preface, refusalOf, replayable, wantsNodeHttp } from './rules.js';
import { timeoutDue } from './timeouts.js';
import { UpstreamLeg } from './upstream-leg.js';
import type { EngineHooks } from './engine.js';

// Request-side phase.
const R_HEAD = 0;
const R_BODY = 1;
const R_DONE = 2;
// Exchange phase.
const X_NONE = 0;
const X_PENDING = 1; // handler has the request, not yet forwarded/answered
const X_FORWARDING = 2;

function peerAddress(socket: net.Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export class ClientConn implements Exchange {
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
  /** First byte of an unfinished head (for the head-read timeout); 0 when none. */
  headStartedAt = 0;

  // Read and written by the upstream leg
  /** Final status sent to the client (0 while none was), reported to `onFinish`. */
  status = 0;
  headRequest = false;
  requestHasBody = false;

  private readonly req = new Head();
  private readonly reqBody = new BodyFramer();
  private readonly leg: UpstreamLeg;

  private rPhase = R_HEAD;
  private xPhase = X_NONE;
  /** Partial head bytes waiting for more data. */
  private headAcc: Buffer | null = null;
  /** Bytes of the next pipelined request, read while this one was in progress. */
  private pipelined: Buffer | null = null;
  private first = true;
  private closeAfter = false;
  private clientGone = false;

  constructor(
    readonly socket: net.Socket,
    private readonly hooks: EngineHooks,
  ) {
    this.remoteAddress = peerAddress(socket);
    this.leg = new UpstreamLeg(this);
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

  // ---------------------------------------------------------------- for the upstream leg

  /** The request was forwarded and is not back with the handler. */
  get forwarding(): boolean {
    return this.xPhase === X_FORWARDING;
  }

  /** The whole request body was read (or there was none). */
  get requestRead(): boolean {
    return this.rPhase === R_DONE;
  }

  /** The upstream can take more of the request body: read on. */
  resumeBody(): void {
    if (this.rPhase === R_BODY) this.socket.resume();
  }

  /** Whether the response being started closes the connection (the client's or the engine's wish); it will. */
  closeAfterResponse(): boolean {
    const close = this.closeAfter || this.hooks.closing();
    if (close) this.closeAfter = true;
    return close;
  }

  /** Whether the request may be sent again on a fresh upstream connection (`rules.ts`). */
  replayable(): boolean {
    return replayable(this.req);
  }

  /** Gives the exchange back to the upstream's failover hook; true when the hook took it over. */
  handBack(hook: UnreachableHandler, cause: UnreachableCause): boolean {
    this.xPhase = X_PENDING;
    if (hook(this, cause)) return true;
    if (this.xPhase === X_PENDING) this.xPhase = X_FORWARDING;
    return false;
  }

  // ---------------------------------------------------------------- client socket

  private readonly onError = (): void => {
    // 'close' follows; nothing to do here but keep the error from being thrown.
  };

  private readonly onClose = (): void => {
    this.clientGone = true;
    if (!this.finished) {
      this.leg.abort();
      this.finish('client-aborted');
    }
    this.hooks.removed(this);
  };

  private readonly onDrain = (): void => {
    // The client caught up: let the upstream send more.
    if (this.xPhase === X_FORWARDING) this.leg.resume();
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

  // ---------------------------------------------------------------- request head

  private onHeadData(chunk: Buffer): void {
    let buf = chunk;
    let from = 0;
    if (this.headAcc !== null) {
      from = this.headAcc.length;
      buf = Buffer.concat([this.headAcc, chunk]);
      this.headAcc = null;
    }
    if (this.first && this.hooks.adoptHttp2 !== null) {
      const preface = h2Preface(buf);
      if (preface === PREFACE_PARTIAL) {
        this.headAcc = buf;
        return;
      }
      if (preface === PREFACE_WHOLE) {
        this.handOff(buf, this.hooks.adoptHttp2);
        return;
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
    const refused = refusalOf(req);
    if (refused !== null) {
      this.rejectHead(refused);
      return;
    }
    if (wantsNodeHttp(req) && this.hooks.adoptHttp1 !== null) {
      this.handOff(buf, this.hooks.adoptHttp1);
      return;
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
    this.socket.end(refusal(err));
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
    this.leg.reset();
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
        this.leg.dropHeld();
        this.rejectHead('bad-chunked-body');
        return;
      }
      // (a chunked body already went to the leg's held bytes through the canonical sink)
      if (stop > end && framer.framing === FRAMING.length) this.leg.write(buf.subarray(end, stop), false);
      pos = stop;
      if (framer.done) this.rPhase = R_DONE;
    }
    if (pos < buf.length) this.pipelined = buf.subarray(pos);
    this.hooks.handler(this);
    if (this.xPhase === X_PENDING && !this.finished) this.socket.pause();
  }

  // ---------------------------------------------------------------- request body

  private onBody(buf: Buffer, start: number): void {
    const framer = this.reqBody;
    let stop: number;
    if (framer.framing === FRAMING.chunked) {
      // The canonical pieces of one read leave in one upstream write.
      const corked = this.xPhase === X_FORWARDING ? this.leg.connectedSocket() : null;
      if (corked !== null) corked.cork();
      stop = framer.consume(buf, start, buf.length);
      if (corked !== null) corked.uncork();
    } else stop = framer.consume(buf, start, buf.length);
    if (framer.error) {
      if (!this.responseStarted && !this.finished) {
        this.leg.abort();
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
    if (!this.leg.write(part, this.xPhase === X_FORWARDING)) this.socket.pause();
  }

  // ---------------------------------------------------------------- end of an exchange

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
  finish(outcome: Outcome, answered = false): void {
    if (this.finished) return;
    this.finished = true;
    this.xPhase = X_NONE;
    this.leg.dropHeld();
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
    this.leg.abort();
    this.writeLocal(status, headers, body);
    this.finish('complete');
  }

  forward(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra?: HeaderList): void {
    if (this.finished || this.xPhase !== X_PENDING) return;
    this.xPhase = X_FORWARDING;
    this.leg.start(upstream, upstreamRequestHead(this.req, edits, host, extra, this.remoteAddress));
  }

  private writeLocal(status: number, headers: HeaderList, body: string): void {
    const close = this.closeAfter || this.hooks.closing() || this.rPhase !== R_DONE;
    if (close) this.closeAfter = true;
    const head = localResponseHead(status, headers, close, this.hooks.dateHeader(), Buffer.byteLength(body));
    this.responseStarted = true;
    this.status = status;
    this.lastWriteAt = this.responseStartedAt = performance.now();
    this.socket.write(this.headRequest ? head : head + body);
  }

  /** A response of kdp's own with a one-line text body. */
  respondError(status: number, cause: KdpCause, message: string): void {
    this.writeLocal(status, errorHeaders(cause), `${message}\n`);
  }

  // ---------------------------------------------------------------- timeouts (called by the engine's sweep)

  /** Returns true if a timeout fired. */
  checkTimeouts(now: number): boolean {
    const t = this.timeouts;
    if (t === null || this.finished) return false;
    if (!timeoutDue(t, now - this.armedAt, this.responseStarted, now - this.lastWriteAt)) return false;
    this.timeout(t);
    return true;
  }

  private timeout(t: Timeouts): void {
    this.leg.abort();
    if (!this.responseStarted) {
      this.writeLocal(504, errorHeaders('timeout'), t.message);
      this.finish('timeout', true);
      return;
    }
    // Response started: append the message if the framing allows it, else abort (Go does the same).
    if (this.leg.endWith(t.message)) {
      this.closeAfter = true;
      this.finish('timeout');
      return;
    }
    this.socket.destroy();
    this.finish('timeout');
  }
}

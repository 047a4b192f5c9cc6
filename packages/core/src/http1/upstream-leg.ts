/**
 * The upstream leg of a fast-path connection: the pooled upstream socket of the request in progress, the request
 * head and held body bytes sent on it, and the response read from it (head parsed and validated, re-framed for the
 * client, body counted by the framer and forwarded as the same Buffers that were read).
 *
 * One leg per client connection, reused for every request; it is the pool's `UpOwner`, writes the response to the
 * client socket and reports to its `ClientConn`, which owns the exchange. Backpressure: a full client socket pauses
 * the upstream socket until the client's `'drain'` (`resume`); a full upstream socket pauses the client (`write`).
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { UnreachableCause } from '../http/exchange.js';
import { appUnreachableAnswer, refusedConnect, UNREACHABLE_BODY_MAX } from '../http/unreachable.js';
import type { Upstream } from '../http/upstream.js';
import { describeUpstreamError } from '../http/upstream-error.js';
import type { ClientConn } from './client-conn.js';
import { clientResponseHead } from './forward-head.js';
import { BodyFramer, FRAMING } from './framer.js';
import { Head, MAX_HEAD_BYTES, findHeadEnd, parseResponseHead, responsePrefixOk } from './head.js';
import { poolOf } from './pool.js';
import type { UpConn, UpOwner } from './pool.js';

// Response-side phase.
const S_HEAD = 0;
const S_BODY = 1;

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
/** Bodies up to this size are copied behind the head and written with it in one buffer. */
const INLINE_BODY_MAX = 4096;

export class UpstreamLeg implements UpOwner {
  /** The upstream of the request in progress (null before `forward`). */
  private upstream: Upstream | null = null;
  private readonly res = new Head();
  private readonly resBody = new BodyFramer();
  private sPhase = S_HEAD;
  /** Partial response head bytes waiting for more data. */
  private resAcc: Buffer | null = null;
  /** Request body bytes received before the upstream socket could take them. */
  private readonly held: Buffer[] = [];
  /** The upstream response has no framing: re-chunk it for the client. */
  private rechunk = false;
  private closeAfterUpstream = false;
  private up: UpConn | null = null;
  /** The request head, until it is written on a connected socket. */
  private upHead: Buffer | null = null;
  /** The upstream head of the current request, kept for the stale-socket retry. */
  private sentHead: Buffer | null = null;
  private retried = false;
  /** The upstream's failover hook was offered the current request (once at most). */
  private offered = false;
  private waitingForUpstream = false;

  constructor(private readonly c: ClientConn) {}

  // ---------------------------------------------------------------- called by the client side

  /** A new request started: forget the previous one's upstream. */
  reset(): void {
    this.retried = false;
    this.offered = false;
    this.upHead = null;
    this.sentHead = null;
    this.upstream = null;
  }

  /** Sends `head` (and the body bytes held and still to come) to `upstream`. */
  start(upstream: Upstream, head: Buffer): void {
    this.sPhase = S_HEAD;
    this.upstream = upstream;
    this.upHead = head;
    this.sentHead = head;
    this.connect();
  }

  /** Request body bytes: written once `forwarding` and the head went out, held before. False: pause the client. */
  write(part: Buffer, forwarding: boolean): boolean {
    const up = this.up;
    if (forwarding && up !== null && up.connected && this.upHead === null) return up.socket.write(part);
    this.held.push(part);
    return false;
  }

  /** The connected upstream socket, to cork around a burst of writes; null when there is none yet. */
  connectedSocket(): net.Socket | null {
    const up = this.up;
    return up !== null && up.connected ? up.socket : null;
  }

  dropHeld(): void {
    this.held.length = 0;
  }

  /** The client caught up: let the upstream send more. */
  resume(): void {
    const up = this.up;
    if (up !== null) up.socket.resume();
  }

  /** Drops the upstream socket of the request in progress (or its place in the pool's queue). */
  abort(): void {
    const up = this.up;
    this.up = null;
    this.resAcc = null;
    if (up !== null) up.destroy();
    if (this.waitingForUpstream && this.upstream !== null) {
      this.waitingForUpstream = false;
      poolOf(this.upstream).cancel(this);
    }
  }

  /** Ends a started response with `message` as a last chunk if its framing allows (re-chunked, or between chunks). */
  endWith(message: string): boolean {
    const framing = this.resBody.framing;
    if (this.sPhase === S_BODY && (this.rechunk || (framing === FRAMING.chunked && this.resBody.atChunkBoundary))) {
      const len = Buffer.byteLength(message);
      this.c.socket.write(`${len.toString(16)}\r\n${message}\r\n0\r\n\r\n`);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- the pool's owner

  private connect(): void {
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

  onUpstreamAssigned(up: UpConn): void {
    this.waitingForUpstream = false;
    if (this.c.finished || !this.c.forwarding) {
      // Gone while waiting (timeout, client abort): hand the socket straight back.
      up.owner = null;
      poolOf(up.pool.upstream).release(up);
      return;
    }
    this.up = up;
    if (up.connected) this.onUpstreamConnect(up);
  }

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
    this.c.resumeBody();
  }

  onUpstreamDrain(up: UpConn): void {
    if (up === this.up) this.c.resumeBody();
  }

  onUpstreamData(up: UpConn, chunk: Buffer): void {
    if (up !== this.up) return;
    if (this.sPhase === S_HEAD) this.onResponseHead(up, chunk);
    else this.onResponseBody(up, chunk, 0);
  }

  onUpstreamClose(up: UpConn, err: Error | null): void {
    if (up !== this.up) return;
    this.up = null;
    const c = this.c;
    if (c.finished) return;
    if (this.sPhase === S_BODY && this.resBody.framing === FRAMING.eof && err === null) {
      // Close-delimited response: its end is the close.
      this.closeAfterUpstream = false;
      c.socket.write(LAST_CHUNK);
      c.finish('complete');
      return;
    }
    if (
      !c.responseStarted && this.sPhase === S_HEAD && up.reused && !this.retried && !c.requestHasBody &&
      this.resAcc === null && c.replayable()
    ) {
      // A stale keep-alive socket closed under us before any response byte: retry once on a fresh one, as Go's
      // Transport does, and only for what it replays (`Request.isReplayable`): a bodiless request whose method is
      // idempotent or that carries an idempotency key. The app may have executed a POST before closing.
      this.retried = true;
      this.upHead = this.sentHead;
      if (this.upHead !== null) {
        this.connect();
        return;
      }
    }
    this.failed(null, err);
  }

  // ---------------------------------------------------------------- the response

  private onResponseHead(up: UpConn, chunk: Buffer): void {
    let buf = chunk;
    let from = 0;
    if (this.resAcc !== null) {
      from = this.resAcc.length;
      buf = Buffer.concat([this.resAcc, chunk]);
      this.resAcc = null;
    }
    const c = this.c;
    for (;;) {
      const end = findHeadEnd(buf, from);
      if (end === -1) {
        if (buf.length > MAX_HEAD_BYTES) {
          this.failed(up, new Error('net/http: response head too large'));
          return;
        }
        if (!responsePrefixOk(buf)) {
          // Not HTTP (an SSH banner, a TLS alert, …): 502 now, not 504 at the timeout.
          this.failed(up, new Error(`net/http: malformed HTTP response ${JSON.stringify(buf.toString('latin1', 0, Math.min(buf.length, 40)))}`));
          return;
        }
        this.resAcc = buf;
        return;
      }
      const res = this.res;
      const err = parseResponseHead(res, buf, end);
      if (err !== null) {
        this.failed(up, new Error(`net/http: malformed HTTP response (${err})`));
        return;
      }
      if (res.otherTransferEncoding) {
        // Go's client refuses any coding list but `chunked` too; re-framing `gzip, chunked` as chunked would hand
        // the client gzip bytes it was not told about.
        this.failed(up, new Error('net/http: unsupported transfer encoding in response'));
        return;
      }
      // A queue-proxy that could not reach its app: its one-line dial error came with the head (one write).
      if (res.status === 502 && this.upstream !== null && this.upstream.onUnreachable !== null && !c.requestHasBody) {
        const n = res.contentLength;
        if (n > 0 && n <= UNREACHABLE_BODY_MAX && end + n <= buf.length) {
          const cause = appUnreachableAnswer(502, res.get('x-kdp-error'), buf.toString('latin1', end, end + n));
          if (cause !== null && this.offerElsewhere(cause)) return;
        }
      }
      if (res.status >= 100 && res.status < 200 && res.status !== 101) {
        // 1xx informational: relay verbatim, then expect the final head.
        if (!c.responseStarted) c.responseStartedAt = performance.now();
        c.responseStarted = true;
        c.lastWriteAt = performance.now();
        c.socket.write(buf.subarray(0, end));
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
          this.failed(up, new Error('net/http: malformed chunked response body'));
          return;
        }
      }
      const inline = stop - end <= INLINE_BODY_MAX ? stop - end : 0;
      // Everything at hand fits in one buffer: one write(), nothing to cork.
      const single = inline === stop - end && !(this.rechunk && end < buf.length);
      const sock = c.socket;
      if (!single) sock.cork();
      this.writeResponseHead(inline);
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
    const c = this.c;
    c.status = res.status;
    const bodyless = c.headRequest || res.status === 204 || res.status === 304 || res.status === 101;
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

  /** Writes the re-framed response head, followed in the same buffer by `inline` body bytes read with it. */
  private writeResponseHead(inline: number): void {
    const c = this.c;
    const out = clientResponseHead(this.res, c.closeAfterResponse(), this.rechunk, inline);
    c.lastWriteAt = performance.now();
    if (!c.responseStarted) c.responseStartedAt = c.lastWriteAt;
    c.responseStarted = true;
    c.socket.write(out);
  }

  private onResponseBody(up: UpConn, buf: Buffer, start: number): void {
    const framer = this.resBody;
    const stop = framer.consume(buf, start, buf.length);
    if (framer.error) {
      this.failed(up, new Error('net/http: malformed chunked response body'));
      return;
    }
    if (stop > start) {
      const part = start === 0 && stop === buf.length ? buf : buf.subarray(start, stop);
      const c = this.c;
      c.lastWriteAt = performance.now();
      let ok: boolean;
      if (this.rechunk) {
        const s = c.socket;
        s.cork();
        s.write(`${(stop - start).toString(16)}\r\n`, 'latin1');
        s.write(part);
        ok = s.write(CRLF);
        process.nextTick(uncork, s);
      } else ok = c.socket.write(part);
      if (!ok) up.socket.pause();
    }
    if (framer.done) this.responseDone(up);
  }

  private responseDone(up: UpConn): void {
    const reusable = !this.closeAfterUpstream && this.c.requestRead && this.resBody.framing !== FRAMING.eof;
    this.closeAfterUpstream = false;
    this.up = null;
    up.socket.resume();
    if (reusable) poolOf(up.pool.upstream).release(up);
    else up.destroy();
    this.c.finish('complete');
  }

  // ---------------------------------------------------------------- failures

  private failed(up: UpConn | null, err: Error | null): void {
    if (up !== null) up.destroy();
    this.up = null;
    this.resAcc = null;
    const c = this.c;
    if (c.finished) return;
    if (!c.responseStarted) {
      if (refusedConnect(err) && this.offerElsewhere('refused')) return;
      const upstream = this.upstream;
      const text = upstream === null ? String(err) : describeUpstreamError(err, upstream.authority);
      c.respondError(502, 'upstream-unreachable', text);
      c.finish('upstream-error', true);
      return;
    }
    // Mid-response failure: abort the client connection like Go's http.ErrAbortHandler.
    c.socket.destroy();
    c.finish('upstream-error');
  }

  /**
   * Offers a bodiless request that provably never reached the app to the upstream's `onUnreachable` hook; true when
   * the handler took it over (the exchange is back before `forward`).
   */
  private offerElsewhere(cause: UnreachableCause): boolean {
    const hook = this.upstream?.onUnreachable ?? null;
    const c = this.c;
    if (hook === null || this.offered || c.responseStarted || c.finished || c.requestHasBody) return false;
    this.offered = true;
    this.abort();
    const retried = this.retried;
    this.retried = false;
    if (c.handBack(hook, cause)) return true;
    this.retried = retried;
    return false;
  }
}

function uncork(s: net.Socket): void {
  s.uncork();
}

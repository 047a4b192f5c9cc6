/**
 * An HTTP/1.x exchange on node:http (`request` / `checkContinue`), proxied to an HTTP/1.1 upstream through the
 * upstream's keep-alive agent, with Go `httputil.ReverseProxy` semantics (contract §2.7).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import {
  BaseExchange,
  bodyless,
  clientAddress,
  TIMEOUT_HEADERS,
  UNREACHABLE_HEADERS,
  type ExchangeOwner,
} from './exchange-base.js';
import {
  h1RequestHeaders,
  h1ResponseHeaders,
  headerValue,
  originForm,
  pairs,
  requestFraming,
  type BodyFraming,
} from './headers.js';
import { h1Agent } from './pools.js';
import { validHeaders, writeInformational } from './raw-head.js';
import { describeUpstreamError, isStaleConnectionError } from './upstream-error.js';

type Phase = 'new' | 'forwarding' | 'local';

const ignore = (): void => undefined;

export class H1Exchange extends BaseExchange {
  private phase: Phase = 'new';
  private readonly socket: Socket;
  private upstream: Upstream | null = null;
  private upHeaders: string[] = [];
  private upPath = '/';
  private framing: BodyFraming = 'none';
  private up: http.ClientRequest | null = null;
  private upRes: http.IncomingMessage | null = null;
  /** Upstream framed its body with Content-Length: a timeout cannot append to it, only abort (contract §3.2). */
  private declaredLength = false;
  private retried = false;
  private sentContinue = false;
  /** The request announced a body (chunked, or a non-zero Content-Length). */
  private readonly bodyExpected: boolean;

  constructor(
    owner: ExchangeOwner,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly expectContinue: boolean,
  ) {
    super(
      owner,
      req.method ?? 'GET',
      req.url ?? '/',
      req.httpVersionMajor === 1 && req.httpVersionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
      clientAddress(req.socket),
    );
    this.socket = req.socket;
    this.bodyExpected = requestFraming(req.rawHeaders) !== 'none';
    res.once('finish', this.onResFinish);
    res.once('close', this.onGone);
    // A pipelined request whose response never got the socket sees no `close` on its response: watch the socket.
    this.socket.once('close', this.onGone);
    if (owner.closing) res.shouldKeepAlive = false;
  }

  header(lowerName: string): string | undefined {
    return headerValue(this.req.rawHeaders, lowerName);
  }

  respond(status: number, headers: HeaderList, body: string): void {
    if (this.finished || this.responseStarted || this.phase === 'local') return;
    this.detachUpstream();
    this.writeLocal(status, headers, body);
  }

  forward(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra?: HeaderList): void {
    if (this.finished || this.phase !== 'new') return;
    this.phase = 'forwarding';
    const raw = this.req.rawHeaders;
    const target = originForm(this.target);
    this.upPath = target.path;
    this.upstream = upstream;
    this.framing = requestFraming(raw);
    this.upHeaders = h1RequestHeaders(raw, {
      edits,
      extra,
      remoteAddress: this.remoteAddress,
      method: this.method,
      host: host ?? target.authority ?? headerValue(raw, 'host') ?? upstream.authority,
      framing: this.framing,
      upgrade: undefined,
    });
    this.send(upstream);
  }

  onEngineClosing(): void {
    if (!this.res.headersSent) this.res.shouldKeepAlive = false;
  }

  kill(): void {
    if (this.finished) return;
    this.outcome = 'timeout';
    this.finish('timeout');
    this.res.destroy();
  }

  protected onTimeout(message: string): void {
    if (this.finished || this.phase === 'local' || this.res.writableEnded) return;
    this.outcome = 'timeout';
    this.detachUpstream();
    if (!this.res.headersSent) {
      this.writeLocal(504, TIMEOUT_HEADERS, message);
    } else if (this.declaredLength) {
      // Appending would break the declared length: abort, as Go's server does on the mismatch.
      this.res.destroy();
    } else {
      this.res.end(message);
    }
  }

  protected release(): void {
    this.socket.removeListener('close', this.onGone);
    this.detachUpstream();
    // Upstream answered before reading the whole body: discard the rest so the next request on this connection
    // can be parsed (node only does that itself for a body nobody started reading).
    if (this.bodyExpected && !this.req.complete && !(this.expectContinue && !this.sentContinue)) this.req.resume();
  }

  private send(upstream: Upstream): void {
    let up: http.ClientRequest;
    try {
      up = http.request({
        host: upstream.host,
        port: upstream.port,
        method: this.method,
        path: this.upPath,
        headers: this.upHeaders,
        agent: h1Agent(upstream),
      });
    } catch (err) {
      // Only an invalid header from `edits.add`/`extra` gets here; node has validated the rest.
      this.fail502(describeUpstreamError(err, upstream.authority));
      return;
    }
    this.up = up;
    up.on('information', (info: http.InformationEvent) => {
      if (this.up === up) this.onInformation(info);
    });
    up.once('response', (upRes: http.IncomingMessage) => {
      if (this.up === up && !this.finished) this.onResponse(upRes);
      else upRes.destroy();
    });
    up.on('error', (err: Error) => {
      if (this.up === up) this.onUpstreamError(up, err);
    });
    if (this.framing === 'none') up.end();
    else this.req.pipe(up);
  }

  private onInformation(info: http.InformationEvent): void {
    if (this.finished || this.res.headersSent || this.protocol === 'HTTP/1.0') return;
    if (info.statusCode === 100) {
      // Relay upstream's 100 only to a client that asked for it (it is waiting to send the body).
      if (!this.expectContinue || this.sentContinue) return;
      this.sentContinue = true;
      this.res.writeContinue();
    } else if (!writeInformational(this.res, info.statusCode, info.rawHeaders)) {
      return;
    }
    this.markStarted();
    this.noteWrite();
  }

  private onResponse(upRes: http.IncomingMessage): void {
    const res = this.res;
    this.upRes = upRes;
    upRes.on('error', ignore);
    const { headers, contentLength } = h1ResponseHeaders(upRes.rawHeaders);
    if (!validHeaders(headers)) {
      this.detachUpstream();
      this.fail502(`upstream ${this.upstream?.authority ?? ''}: invalid response header`);
      return;
    }
    const status = upRes.statusCode ?? 502;
    this.declaredLength = contentLength;
    // (A client still waiting for `100 Continue` gets `Connection: close` from node itself: `_expect_continue`.)
    res.writeHead(status, headers);
    this.status = status;
    this.markStarted();
    this.noteWrite();
    // A body of unknown length is streamed: send the head now, not with the first chunk (SSE, long polls).
    if (!contentLength) res.flushHeaders();
    upRes.on('data', this.onUpstreamData);
    upRes.pipe(res, { end: false });
    upRes.once('end', () => {
      if (this.upRes !== upRes || res.writableEnded) return;
      const trailers = upRes.rawTrailers;
      if (trailers.length > 0) {
        try {
          res.addTrailers(pairs(trailers));
        } catch {
          // An invalid trailer is dropped rather than failing a complete response.
        }
      }
      res.end();
    });
    upRes.once('close', () => {
      if (this.upRes === upRes && !upRes.complete) this.brokenAfterHead();
    });
  }

  private readonly onUpstreamData = (): void => {
    this.noteWrite();
  };

  private onUpstreamError(up: http.ClientRequest, err: Error): void {
    if (this.finished) return;
    const upRes = this.upRes;
    if (upRes !== null) {
      // Writing the rest of the request body failed after a complete response: nothing to report.
      if (!upRes.complete) this.brokenAfterHead();
      return;
    }
    const upstream = this.upstream;
    if (upstream === null) return;
    // A pooled connection the upstream closed while idle: retry once on a fresh one, as Go does, when no request
    // body was consumed and nothing was relayed yet.
    if (!this.retried && up.reusedSocket && this.framing === 'none' && !this.responseStarted && isStaleConnectionError(err)) {
      this.retried = true;
      this.up = null;
      this.send(upstream);
      return;
    }
    this.detachUpstream();
    if (this.res.headersSent) this.brokenAfterHead();
    else this.fail502(describeUpstreamError(err, upstream.authority));
  }

  /** Upstream failed after the head went out: abort the client connection (Go panics with ErrAbortHandler). */
  private brokenAfterHead(): void {
    if (this.finished || this.outcome !== null) return;
    this.outcome = 'upstream-error';
    this.detachUpstream();
    this.res.destroy();
  }

  private fail502(text: string): void {
    if (this.finished) return;
    this.outcome = 'upstream-error';
    this.writeLocal(502, UNREACHABLE_HEADERS, `${text}\n`);
  }

  private writeLocal(status: number, headers: HeaderList, body: string): void {
    const res = this.res;
    this.phase = 'local';
    if (res.headersSent || res.writableEnded) return;
    const list = [...headers];
    if (!bodyless(status) && headerValue(headers, 'content-length') === undefined) {
      list.push('Content-Length', String(Buffer.byteLength(body)));
    }
    if (this.bodyExpected && !this.req.complete) this.dropUnreadBody();
    res.writeHead(status, list);
    this.status = status;
    this.markStarted();
    this.noteWrite();
    res.end(body);
  }

  /**
   * The response goes out before the request body was read: discard the rest and close the connection after the
   * response, rather than parse a body as the next request (Go closes too). A client still waiting for `100
   * Continue` never sends the body; node closes that connection itself (`_expect_continue`).
   */
  private dropUnreadBody(): void {
    this.res.shouldKeepAlive = false;
    if (!(this.expectContinue && !this.sentContinue)) this.req.resume();
  }

  private detachUpstream(): void {
    const up = this.up;
    const upRes = this.upRes;
    this.up = null;
    this.upRes = null;
    if (upRes !== null) {
      upRes.unpipe(this.res);
      upRes.removeListener('data', this.onUpstreamData);
      if (!upRes.complete) upRes.destroy();
    }
    if (up !== null) {
      up.on('error', ignore);
      this.req.unpipe(up);
      // Leave a finished request whose response completed alone: its socket goes back to the pool.
      if (!(upRes?.complete === true && up.writableFinished)) up.destroy();
    }
  }

  private readonly onResFinish = (): void => {
    this.finish(this.outcome ?? 'complete');
  };

  private readonly onGone = (): void => {
    this.finish(this.outcome ?? (this.res.writableFinished ? 'complete' : 'client-aborted'));
  };
}

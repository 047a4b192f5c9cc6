/**
 * An HTTP/1.x exchange on node:http (`request` / `checkContinue`), proxied to an HTTP/1.1 upstream through the
 * upstream's keep-alive agent, with Go `httputil.ReverseProxy` semantics (docs/contract/queue-proxy.md §2.7).
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import { bodyless, ignore, TIMEOUT_HEADERS, type ExchangeOwner } from './exchange-base.js';
import { H1UpstreamExchange } from './h1-upstream-exchange.js';
import { h1ResponseHeaders, headerValue, pairs, requestFraming } from './headers.js';
import { validHeaders, writeInformational } from './raw-head.js';
import { appUnreachableAnswer, maybeAppUnreachable } from '../http/unreachable.js';

export class H1Exchange extends H1UpstreamExchange {
  private readonly socket: Socket;
  private sentContinue = false;
  /** The request announced a body (chunked, or a non-zero Content-Length). */
  private readonly bodyExpected: boolean;

  constructor(
    owner: ExchangeOwner,
    req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly expectContinue: boolean,
  ) {
    super(owner, req, res, req.httpVersionMajor === 1 && req.httpVersionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1');
    this.socket = req.socket;
    this.bodyExpected = requestFraming(req.rawHeaders) !== 'none';
    res.once('finish', this.onResFinish);
    res.once('close', this.onGone);
    // A pipelined request whose response never got the socket sees no `close` on its response: watch the socket.
    this.socket.once('close', this.onGone);
    if (owner.closing) res.shouldKeepAlive = false;
  }

  onEngineClosing(): void {
    if (!this.res.headersSent) this.res.shouldKeepAlive = false;
  }

  protected onTimeout(message: string): void {
    if (this.finished || this.phase === 'local' || this.res.writableEnded) return;
    this.outcome = 'timeout';
    this.detachUpstream();
    if (!this.res.headersSent) {
      this.writeLocal(504, TIMEOUT_HEADERS, message);
    } else if (this.declaredLength) {
      // Appending would break the declared length: abort, as Go's server does on the mismatch.
      this.abortClient();
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

  protected prepare(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra: HeaderList | undefined): void {
    this.framing = requestFraming(this.req.rawHeaders);
    this.prepareHead(upstream, edits, host, extra, undefined);
  }

  protected send(upstream: Upstream): void {
    const up = this.openRequest(upstream);
    if (up === null) return;
    up.on('information', (info: http.InformationEvent) => {
      if (this.up === up) this.onInformation(info);
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

  protected onResponse(upRes: http.IncomingMessage): void {
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
    if (status === 502 && this.framing === 'none' && this.upstream?.onUnreachable != null) {
      const raw = upRes.rawHeaders;
      if (maybeAppUnreachable(status, headerValue(raw, 'x-kdp-error'), Number(headerValue(raw, 'content-length') ?? -1))) {
        this.holdUnreachable(upRes, status, headers);
        return;
      }
    }
    this.declaredLength = contentLength;
    // (A client still waiting for `100 Continue` gets `Connection: close` from node itself: `_expect_continue`.)
    res.writeHead(status, headers);
    this.noteHead(status);
    // A body of unknown length is streamed: send the head now, not with the first chunk (SSE, long polls).
    if (!contentLength) res.flushHeaders();
    this.pipeBody(upRes);
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
  }

  /**
   * A queue-proxy's 502 that may say it could not reach its app: read its one-line body before anything goes to the
   * client; if it is the dial error, the handler may send the request elsewhere, else the 502 is relayed as it came.
   */
  private holdUnreachable(upRes: http.IncomingMessage, status: number, headers: ReturnType<typeof h1ResponseHeaders>['headers']): void {
    let body = '';
    upRes.setEncoding('latin1');
    upRes.on('data', (d: string) => {
      body += d;
    });
    upRes.once('end', () => {
      if (this.upRes !== upRes || this.finished) return;
      const cause = appUnreachableAnswer(status, headerValue(upRes.rawHeaders, 'x-kdp-error'), body);
      if (cause !== null && this.offerElsewhere(cause)) return;
      const res = this.res;
      this.declaredLength = true;
      res.writeHead(status, headers);
      this.noteHead(status);
      res.end(body, 'latin1');
    });
    upRes.once('close', () => {
      if (this.upRes !== upRes || upRes.complete || this.finished) return;
      this.detachUpstream();
      this.fail502(`read tcp ${this.upstream?.authority ?? ''}: EOF (upstream closed the connection while answering)`);
    });
  }

  protected clientHeadSent(): boolean {
    return this.res.headersSent;
  }

  protected abortClient(): void {
    this.res.destroy();
  }

  protected writeLocal(status: number, headers: HeaderList, body: string): void {
    const res = this.res;
    this.phase = 'local';
    if (res.headersSent || res.writableEnded) return;
    const list = [...headers];
    if (!bodyless(status) && headerValue(headers, 'content-length') === undefined) {
      list.push('Content-Length', String(Buffer.byteLength(body)));
    }
    if (this.bodyExpected && !this.req.complete) this.dropUnreadBody();
    res.writeHead(status, list);
    this.noteHead(status);
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

  private readonly onResFinish = (): void => {
    this.finish(this.outcome ?? 'complete');
  };

  private readonly onGone = (): void => {
    this.finish(this.outcome ?? (this.res.writableFinished ? 'complete' : 'client-aborted'));
  };
}

/**
 * An HTTP/2 stream (h2c prior knowledge, or stream 1 of an `Upgrade: h2c`) on node:http2, proxied to the upstream
 * over h2c prior knowledge (Knative's transport: HTTP/2 in, h2c out). Trailers go both ways (gRPC), 1xx headers are
 * relayed with `additionalHeaders`, and failures after the response head reset the stream (Go: RST_STREAM).
 */
import http2, { type ClientHttp2Stream, type ServerHttp2Stream } from 'node:http2';
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import { BaseExchange, bodyless, clientAddress, ignore, TIMEOUT_HEADERS, type ExchangeOwner } from './exchange-base.js';
import { h2LocalHeaders, h2RequestHeaders, h2ResponseHeaders, headerValue } from './headers.js';
import { h2Pool } from './pools.js';
import { describeUpstreamError } from '../http/upstream-error.js';

const {
  NGHTTP2_CANCEL,
  NGHTTP2_INTERNAL_ERROR,
  NGHTTP2_NO_ERROR,
  NGHTTP2_REFUSED_STREAM,
  NGHTTP2_FLAG_END_STREAM,
} = http2.constants;

type OutgoingH2Headers = Record<string, string | string[]>;

export class H2Exchange extends BaseExchange {
  private upHeaders: OutgoingH2Headers = {};
  private up: ClientHttp2Stream | null = null;
  private upError: unknown = null;
  private responded = false;
  /** Upstream's response ended with END_STREAM (not with a reset or a dead session). */
  private upComplete = false;
  /** Our side of the stream is complete (END_STREAM queued), so a later close is not an abort. */
  private ended = false;
  private upTrailers: readonly string[] | null = null;
  private clientTrailers: readonly string[] | null = null;

  constructor(
    owner: ExchangeOwner,
    private readonly stream: ServerHttp2Stream,
    private readonly raw: readonly string[],
  ) {
    super(
      owner,
      headerValue(raw, ':method') ?? 'GET',
      headerValue(raw, ':path') ?? '',
      'HTTP/2.0',
      clientAddress(stream.session?.socket),
    );
    stream.on('error', ignore);
    stream.once('close', this.onStreamClose);
  }

  /** `host` answers with `:authority`, as Go's `Request.Host` does for HTTP/2. */
  header(lowerName: string): string | undefined {
    if (lowerName === 'host') return headerValue(this.raw, ':authority') ?? headerValue(this.raw, 'host');
    return headerValue(this.raw, lowerName);
  }

  onEngineClosing(): void {
    // The engine sends GOAWAY on the session; streams already open complete normally.
  }

  protected prepare(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra: HeaderList | undefined): void {
    this.upHeaders = h2RequestHeaders(this.raw, {
      edits,
      extra,
      remoteAddress: this.remoteAddress,
      method: this.method,
      path: this.target,
      authority: host ?? this.header('host') ?? upstream.authority,
    }) as OutgoingH2Headers;
    if (!this.stream.endAfterHeaders) {
      this.stream.on('trailers', (_h: unknown, _f: unknown, raw: string[]) => {
        this.clientTrailers = raw;
      });
    }
  }

  protected onTimeout(message: string): void {
    const stream = this.stream;
    if (this.finished || this.phase === 'local' || this.ended || stream.closed) return;
    this.outcome = 'timeout';
    this.detachUpstream();
    if (!stream.headersSent) {
      this.writeLocal(504, TIMEOUT_HEADERS, message);
    } else if (this.declaredLength || stream.writableEnded) {
      this.abortClient();
    } else {
      this.upTrailers = null;
      stream.end(message);
    }
  }

  protected release(): void {
    this.detachUpstream();
  }

  protected send(upstream: Upstream): void {
    const pool = h2Pool(upstream);
    const session = pool.session();
    const endStream = this.stream.endAfterHeaders;
    let up: ClientHttp2Stream;
    try {
      up = session.request(this.upHeaders, { endStream, waitForTrailers: !endStream });
    } catch (err) {
      // The session went away between the pool's check and now (GOAWAY, destroyed): one fresh session.
      pool.reset(session);
      if (!this.retried) {
        this.retried = true;
        this.send(upstream);
        return;
      }
      this.fail502(describeUpstreamError(err, upstream.authority));
      return;
    }
    this.up = up;
    up.on('error', (err: Error) => {
      if (this.up === up) this.upError ??= err;
    });
    up.on('headers', (headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      if (this.up === up) this.onInformational(headers, raw);
    });
    up.once('response', (headers: http2.IncomingHttpHeaders, flags: number, raw: string[]) => {
      if (this.up === up && !this.finished) this.onResponse(up, headers, flags, raw);
    });
    up.on('trailers', (_h: unknown, _f: unknown, raw: string[]) => {
      if (this.up === up) this.upTrailers = raw;
    });
    up.once('close', () => {
      this.onUpstreamClose(up, pool.reset.bind(pool, session));
    });
    if (!endStream) {
      up.once('wantTrailers', () => {
        const t = this.clientTrailers;
        up.sendTrailers(t === null ? {} : h2ResponseHeaders(t, undefined));
      });
      this.stream.pipe(up);
    }
  }

  private onInformational(headers: http2.IncomingHttpHeaders, raw: string[]): void {
    const stream = this.stream;
    if (this.finished || stream.headersSent || stream.closed) return;
    const status = Number(headers[':status']);
    try {
      stream.additionalHeaders(h2ResponseHeaders(raw, status));
    } catch {
      return;
    }
    this.markStarted();
    this.noteWrite();
  }

  private onResponse(up: ClientHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, raw: string[]): void {
    const stream = this.stream;
    if (stream.closed || stream.headersSent) return;
    const status = Number(headers[':status']);
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    this.declaredLength = headers['content-length'] !== undefined;
    try {
      stream.respond(h2ResponseHeaders(raw, status), { endStream, waitForTrailers: !endStream });
    } catch (err) {
      this.detachUpstream();
      this.fail502(`upstream ${this.upstream?.authority ?? ''}: invalid response head: ${String(err)}`);
      return;
    }
    this.responded = true;
    this.noteHead(status);
    if (endStream || stream.writableEnded) {
      this.ended = true;
      this.upComplete = true;
      // Consume the (empty) upstream readable side so the upstream stream can close.
      up.resume();
      return;
    }
    stream.once('wantTrailers', () => {
      const t = this.upTrailers;
      this.upTrailers = null;
      this.ended = true;
      try {
        stream.sendTrailers(t === null ? {} : h2ResponseHeaders(t, undefined));
      } catch {
        // Stream already gone: its close decides the outcome.
      }
    });
    up.on('data', this.onUpstreamData);
    // Not `pipe`'s own end: node also ends the readable side of a stream whose session died (rstCode CANCEL), and
    // that must reset the client stream, not end it cleanly.
    up.pipe(stream, { end: false });
    up.once('end', () => {
      if (this.up !== up || this.finished) return;
      if (up.destroyed || (up.rstCode ?? NGHTTP2_NO_ERROR) !== NGHTTP2_NO_ERROR) {
        this.broken();
        return;
      }
      this.upComplete = true;
      if (!stream.writableEnded) stream.end();
    });
  }

  private onUpstreamClose(up: ClientHttp2Stream, resetSession: () => void): void {
    if (this.up !== up || this.finished) return;
    if (this.upComplete) {
      // Complete. If the client is still sending a body nobody reads any more, let it drain.
      this.stream.unpipe(up);
      if (!this.stream.readableEnded) this.stream.resume();
      return;
    }
    if (this.responded) {
      this.broken();
      return;
    }
    const upstream = this.upstream;
    if (upstream === null) return;
    // Refused before processing (GOAWAY race, stream limit): safe to retry once when no body was sent.
    if (!this.retried && this.stream.endAfterHeaders && up.rstCode === NGHTTP2_REFUSED_STREAM) {
      resetSession();
      this.retried = true;
      this.up = null;
      this.send(upstream);
      return;
    }
    this.detachUpstream();
    const cause = this.upError ?? new Error(`stream reset with code ${String(up.rstCode)}`);
    this.fail502(describeUpstreamError(cause, upstream.authority));
  }

  /** Upstream failed after the head went out: reset the client stream (Go's server does on ErrAbortHandler). */
  protected abortClient(): void {
    if (!this.stream.closed) this.stream.close(NGHTTP2_INTERNAL_ERROR);
  }

  /** `close()` grace expired: the stream is cancelled, not failed. */
  protected override destroyClient(): void {
    if (!this.stream.closed) this.stream.close(NGHTTP2_CANCEL);
  }

  protected writeLocal(status: number, headers: HeaderList, body: string): void {
    this.phase = 'local';
    const stream = this.stream;
    if (stream.closed || stream.destroyed || stream.headersSent) return;
    const buf = Buffer.from(body);
    const h = h2LocalHeaders(status, headers);
    if (!bodyless(status) && h['content-length'] === undefined) h['content-length'] = String(buf.length);
    stream.respond(h, { endStream: buf.length === 0 });
    this.ended = true;
    this.noteHead(status);
    if (stream.writableEnded) return;
    stream.end(buf, () => {
      // Answered before the request body was read: stop it, rather than wait for a body nobody wants.
      if (!stream.readableEnded && !stream.closed) stream.close(NGHTTP2_NO_ERROR);
    });
  }

  protected detachUpstream(): void {
    const up = this.up;
    this.up = null;
    if (up === null) return;
    this.stream.unpipe(up);
    up.unpipe(this.stream);
    up.removeListener('data', this.onUpstreamData);
    if (!up.closed) up.close(NGHTTP2_CANCEL);
  }

  private readonly onStreamClose = (): void => {
    this.finish(this.outcome ?? (this.ended ? 'complete' : 'client-aborted'));
  };
}

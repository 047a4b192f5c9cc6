/**
 * An HTTP/1.1 request with `Connection: Upgrade` (websockets and the like). node:http hands over the raw socket
 * (`upgrade` event), so responses are written by hand. `forward` follows Go's ReverseProxy: upgrade request upstream
 * with `Connection: Upgrade` + `Upgrade: <type>` re-added; on `101` the upstream head goes to the client and bytes
 * are copied both ways (`handleUpgradeResponse`); any other answer is relayed as a normal response, then the
 * connection is closed.
 *
 * Timeouts (docs/contract/queue-proxy.md §3.4): writes on a hijacked connection are invisible to Knative's timeout handler, so a tunnel
 * counts as "nothing written": T, RS and I all end it, whatever its traffic.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import { statusLine } from '../http/status-line.js';
import { bodyless, ignore, TIMEOUT_HEADERS, type ExchangeOwner } from './exchange-base.js';
import { H1UpstreamExchange } from './h1-upstream-exchange.js';
import { h1ResponseHeaders, headerValue } from './headers.js';
import { headerLines } from './raw-head.js';

export class UpgradeExchange extends H1UpstreamExchange<'relaying' | 'tunnel'> {
  private upSocket: Socket | null = null;
  private closedSides = 0;

  constructor(
    owner: ExchangeOwner,
    req: http.IncomingMessage,
    private readonly socket: Socket,
    /** Bytes the client sent after the request head: tunnel payload, sent upstream after the 101. */
    private readonly head: Buffer,
    /** The requested protocol (`Upgrade` value), e.g. `websocket`. */
    private readonly upgrade: string,
  ) {
    super(owner, req, socket, 'HTTP/1.1');
    socket.on('error', ignore);
    socket.once('close', this.onClientClose);
  }

  onEngineClosing(): void {
    // Tunnels are waited for (Knative's HijackTracker); nothing to announce on a raw connection.
  }

  protected onTimeout(message: string): void {
    if (this.finished) return;
    switch (this.phase) {
      case 'tunnel':
        this.outcome = 'timeout';
        this.socket.destroy();
        this.upSocket?.destroy();
        return;
      case 'local':
        return;
      case 'new':
      case 'forwarding':
        this.outcome = 'timeout';
        this.detachUpstream();
        this.writeLocal(504, TIMEOUT_HEADERS, message);
        return;
      case 'relaying':
        this.outcome = 'timeout';
        this.detachUpstream();
        if (this.declaredLength) this.abortClient();
        else this.socket.end(message, this.onClientEnded);
        return;
    }
  }

  protected release(): void {
    this.socket.removeListener('close', this.onClientClose);
    this.detachUpstream();
    this.upSocket?.destroy();
  }

  protected prepare(upstream: Upstream, edits: ForwardEdits, host: string | undefined, extra: HeaderList | undefined): void {
    this.prepareHead(upstream, edits, host, extra, this.upgrade);
  }

  protected send(upstream: Upstream): void {
    const up = this.openRequest(upstream);
    if (up === null) return;
    up.once('upgrade', (upRes: http.IncomingMessage, upSocket: Socket, upHead: Buffer) => {
      if (this.up === up && !this.finished) this.onUpgrade(upRes, upSocket, upHead);
      else upSocket.destroy();
    });
    up.end();
  }

  private onUpgrade(upRes: http.IncomingMessage, upSocket: Socket, upHead: Buffer): void {
    this.up = null;
    upSocket.on('error', ignore);
    const got = upRes.headers.upgrade ?? '';
    if (got.toLowerCase() !== this.upgrade.toLowerCase()) {
      upSocket.destroy();
      this.fail502(`backend tried to switch protocol "${got}" when "${this.upgrade}" was requested`);
      return;
    }
    const client = this.socket;
    this.phase = 'tunnel';
    this.upSocket = upSocket;
    this.status = 101;
    // Not `noteWrite`: Knative's timeout writer never sees bytes on a hijacked connection (docs/contract/queue-proxy.md §3.4).
    this.markStarted();
    client.setTimeout(0);
    upSocket.setNoDelay(true);
    upSocket.setTimeout(0);
    // Half-close goes both ways, as in Go's tunnel (`CloseWrite` when one copy ends).
    upSocket.allowHalfOpen = true;
    // Go writes the upstream's 101 head as received (`res.Write` of the copied header).
    client.write(`${statusLine(101)}${headerLines(upRes.rawHeaders)}\r\n`, 'latin1');
    if (upHead.length > 0) client.write(upHead);
    if (this.head.length > 0) upSocket.write(this.head);
    upSocket.once('close', (hadError: boolean) => {
      this.onSideClosed(client, hadError, 'upstream-error');
    });
    client.pipe(upSocket);
    upSocket.pipe(client);
  }

  protected onResponse(upRes: http.IncomingMessage): void {
    this.upRes = upRes;
    this.phase = 'relaying';
    upRes.on('error', ignore);
    const { headers, contentLength } = h1ResponseHeaders(upRes.rawHeaders);
    const status = upRes.statusCode ?? 502;
    this.declaredLength = contentLength;
    this.noteHead(status);
    // The body is delimited by closing the connection (or by upstream's Content-Length); trailers are dropped.
    this.socket.write(`${statusLine(status)}${headerLines(headers)}Connection: close\r\n\r\n`, 'latin1');
    this.pipeBody(upRes);
    upRes.once('end', () => {
      if (this.upRes === upRes) this.socket.end(this.onClientEnded);
    });
  }

  /** Nothing reaches the raw socket before upstream's head: an upstream failure until then is always a 502. */
  protected clientHeadSent(): boolean {
    return false;
  }

  /** The upgrade request has no body: a complete response is enough to give its connection back. */
  protected override requestDone(): boolean {
    return true;
  }

  /** Upstream failed after the head went out: abort the client connection, as Go does. */
  protected abortClient(): void {
    this.socket.destroy();
  }

  /** An HTTP/1.1 response on the raw socket, then close (the request's upgrade is refused). */
  protected writeLocal(status: number, headers: HeaderList, body: string): void {
    this.phase = 'local';
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    const buf = Buffer.from(body);
    let head = `${statusLine(status)}${headerLines(headers)}`;
    if (!bodyless(status) && headerValue(headers, 'content-length') === undefined) {
      head += `Content-Length: ${String(buf.length)}\r\n`;
    }
    head += 'Connection: close\r\n\r\n';
    this.noteHead(status);
    socket.write(head, 'latin1');
    if (bodyless(status) || this.method === 'HEAD') socket.end(this.onClientEnded);
    else socket.end(buf, this.onClientEnded);
  }

  private readonly onClientEnded = (): void => {
    this.finish(this.outcome ?? 'complete');
  };

  private readonly onClientClose = (hadError: boolean): void => {
    if (this.phase === 'tunnel') {
      const up = this.upSocket;
      if (up !== null) this.onSideClosed(up, hadError, 'client-aborted');
      return;
    }
    this.finish(this.outcome ?? 'client-aborted');
  };

  /**
   * One side of the tunnel closed. Both closed: the exchange is complete. Otherwise the other side gets what was
   * already piped to it and is closed (destroyed at once if this side failed), as Go closes both connections once a
   * copy ends.
   */
  private onSideClosed(other: Socket, hadError: boolean, blame: 'client-aborted' | 'upstream-error'): void {
    this.closedSides++;
    if (hadError && this.outcome === null) this.outcome = blame;
    if (this.closedSides >= 2) {
      this.finish(this.outcome ?? 'complete');
      return;
    }
    if (hadError) other.destroy();
    else other.destroySoon();
  }
}

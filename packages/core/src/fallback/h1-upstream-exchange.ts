/**
 * What the two exchanges that start as an HTTP/1.x request share (`H1Exchange`, `UpgradeExchange`): the upstream is
 * an HTTP/1.1 request through the upstream's keep-alive agent, built and failed the way Go's `httputil.ReverseProxy`
 * does (docs/contract/queue-proxy.md §2.7). Each subclass keeps only how it talks to the client (`ServerResponse` or a raw socket).
 */
import http from 'node:http';
import type { Writable } from 'node:stream';
import type { ForwardEdits, HeaderList, Protocol } from '../http/exchange.js';
import type { Upstream } from '../http/upstream.js';
import { BaseExchange, clientAddress, ignore, type ExchangeOwner } from './exchange-base.js';
import { h1RequestHeaders, headerValue, originForm, type BodyFraming } from './headers.js';
import { h1Agent } from './pools.js';
import { describeUpstreamError, isStaleConnectionError } from '../http/upstream-error.js';
import { refusedConnect } from '../http/unreachable.js';

export abstract class H1UpstreamExchange<Extra extends string = never> extends BaseExchange<Extra> {
  protected upHeaders: string[] = [];
  protected upPath = '/';
  /** How the request body goes upstream; an upgrade request sends none. */
  protected framing: BodyFraming = 'none';
  protected up: http.ClientRequest | null = null;
  protected upRes: http.IncomingMessage | null = null;

  protected constructor(
    owner: ExchangeOwner,
    protected readonly req: http.IncomingMessage,
    /** Where upstream's body is piped: the `ServerResponse`, or the raw client socket. */
    private readonly sink: Writable,
    protocol: Protocol,
  ) {
    super(owner, req.method ?? 'GET', req.url ?? '/', protocol, clientAddress(req.socket));
  }

  header(lowerName: string): string | undefined {
    return headerValue(this.req.rawHeaders, lowerName);
  }

  /** Upstream's final head arrived (not a 101). */
  protected abstract onResponse(upRes: http.IncomingMessage): void;
  /** A final head went to the client, so a later upstream failure can only abort it. */
  protected abstract clientHeadSent(): boolean;

  /** Builds the upstream head with `framing` and, for an upgrade, the `Upgrade` value to re-add. */
  protected prepareHead(
    upstream: Upstream,
    edits: ForwardEdits,
    host: string | undefined,
    extra: HeaderList | undefined,
    upgrade: string | undefined,
  ): void {
    const raw = this.req.rawHeaders;
    const target = originForm(this.target);
    this.upPath = target.path;
    this.upHeaders = h1RequestHeaders(raw, {
      edits,
      extra,
      remoteAddress: this.remoteAddress,
      method: this.method,
      host: host ?? target.authority ?? headerValue(raw, 'host') ?? upstream.authority,
      framing: this.framing,
      upgrade,
    });
  }

  /**
   * Opens the upstream request with the `response` and `error` listeners every H1 exchange needs; the caller adds
   * its own and sends the body. Null when node refused the request (then a 502 went out).
   */
  protected openRequest(upstream: Upstream): http.ClientRequest | null {
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
      return null;
    }
    this.up = up;
    up.once('response', (upRes: http.IncomingMessage) => {
      if (this.up === up && !this.finished) this.onResponse(upRes);
      else upRes.destroy();
    });
    up.on('error', (err: Error) => {
      if (this.up === up) this.onUpstreamError(up, upstream, err);
    });
    return up;
  }

  /** Relays upstream's body to the client (the caller ends it), each chunk counting as a write. */
  protected pipeBody(upRes: http.IncomingMessage): void {
    upRes.on('data', this.onUpstreamData);
    upRes.pipe(this.sink, { end: false });
    upRes.once('close', () => {
      if (this.upRes === upRes && !upRes.complete) this.broken();
    });
  }

  /** Whether the upstream request is done with its socket, so a complete response may return it to the pool. */
  protected requestDone(up: http.ClientRequest): boolean {
    return up.writableFinished;
  }

  protected detachUpstream(): void {
    const up = this.up;
    const upRes = this.upRes;
    this.up = null;
    this.upRes = null;
    if (upRes !== null) {
      upRes.unpipe(this.sink);
      upRes.removeListener('data', this.onUpstreamData);
      if (!upRes.complete) upRes.destroy();
    }
    if (up !== null) {
      up.on('error', ignore);
      this.req.unpipe(up);
      // Leave a finished request whose response completed alone: its socket goes back to the pool.
      if (!(upRes?.complete === true && this.requestDone(up))) up.destroy();
    }
  }

  private onUpstreamError(up: http.ClientRequest, upstream: Upstream, err: Error): void {
    if (this.finished) return;
    const upRes = this.upRes;
    if (upRes !== null) {
      // Writing the rest of the request body failed after a complete response: nothing to report.
      if (!upRes.complete) this.broken();
      return;
    }
    // A pooled connection the upstream closed while idle: retry once on a fresh one, as Go does, when no request
    // body was consumed and nothing was relayed yet.
    if (!this.retried && up.reusedSocket && this.framing === 'none' && !this.responseStarted && isStaleConnectionError(err)) {
      this.retried = true;
      this.up = null;
      this.send(upstream);
      return;
    }
    // Refused before anything was sent: the handler may send the request to another upstream (once).
    if (this.framing === 'none' && !this.clientHeadSent() && refusedConnect(err) && this.offerElsewhere('refused')) return;
    this.detachUpstream();
    if (this.clientHeadSent()) this.broken();
    else this.fail502(describeUpstreamError(err, upstream.authority));
  }
}

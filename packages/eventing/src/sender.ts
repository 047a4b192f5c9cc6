// One delivery attempt over HTTP/1.1: POST the event in binary mode, read the status and (bounded) body, give up at
// the attempt's timeout. Keep-alive connections are pooled per origin by one undici Agent. Hosts under `.localhost` are
// dialled on 127.0.0.1 (RFC 6761: they are loopback), so `http://hello.default.localhost:8080` reaches the router
// without DNS set-up, and the Host header still names the service, so the router routes it (and the activator
// holds it while a sink scaled to zero starts).

import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

export interface Target {
  /** As configured, for `knativeerrordest` and messages. */
  readonly url: string;
  readonly connectHost: string;
  readonly port: number;
  readonly path: string;
  readonly hostHeader: string;
  /** `http://connectHost:port`, the pool key. */
  readonly origin: string;
}

export interface SendResult {
  /** HTTP status; 0 when no response arrived (refused, reset, timeout). */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Why there is no response, when status is 0. */
  readonly error: string | undefined;
}

/** A reply larger than this is not read (the attempt fails): a reply event is a few KiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** The target of an http:// URL; throws TypeError with a message naming the URL when it is not one. */
export function resolveTarget(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:') throw new TypeError(`${JSON.stringify(url)}: only http:// sinks are supported`);
  const host = u.hostname;
  const loopback = host === 'localhost' || host.endsWith('.localhost');
  const connectHost = loopback ? '127.0.0.1' : host.replace(/^\[|\]$/g, '');
  const port = u.port === '' ? 80 : Number(u.port);
  return Object.freeze({
    url,
    connectHost,
    port,
    origin: `http://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${String(port)}`,
    path: `${u.pathname}${u.search}`,
    hostHeader: u.host,
  });
}

/**
 * Why undici rather than node:http's client: at 100 producer connections the delivery client was the largest share
 * of `kdp serve`'s CPU (27 % of its busy time; ClientRequest, Agent bookkeeping, IncomingMessage streams per
 * delivery). undici's `dispatch` with a handler object allocates far less per request (docs/performance.md measured it
 * as the cheapest Node client here) and is the project's HTTP client (the activator's prober and the autoscaler's
 * scraper use it too). undici's own timeouts are off: the
 * attempt's deadline is kdp's, with its own message.
 */
export class Sender {
  readonly #agent: Agent;

  constructor(maxSockets = 1024) {
    this.#agent = new Agent({ connections: maxSockets, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  }

  /** POSTs `body` with `headers` (flat list); `cb` is called exactly once. */
  send(t: Target, headers: readonly string[], body: Buffer | undefined, timeoutMs: number, cb: (r: SendResult) => void): void {
    const h = new DeliveryHandler(cb);
    h.timer = setTimeout(() => h.timeout(timeoutMs), timeoutMs);
    const all = ['host', t.hostHeader, ...headers];
    this.#agent.dispatch({ origin: t.origin, path: t.path, method: 'POST', headers: all, body: body ?? EMPTY }, h);
  }

  close(): void {
    void this.#agent.destroy();
  }
}

/** One delivery's response, read into memory (bounded): a plain class, no closures per request. */
class DeliveryHandler implements Dispatcher.DispatchHandler {
  timer: NodeJS.Timeout | undefined;
  #cb: ((r: SendResult) => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = NO_HEADERS;
  #chunks: Buffer[] | undefined;
  #first: Buffer | undefined;
  #size = 0;

  constructor(cb: (r: SendResult) => void) {
    this.#cb = cb;
  }

  timeout(timeoutMs: number): void {
    this.#fail(`timeout after ${String(timeoutMs)} ms`);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#cb === undefined) controller.abort(ABORTED);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > MAX_RESPONSE_BYTES) {
      this.#fail(`response body larger than ${String(MAX_RESPONSE_BYTES)} bytes`);
      return;
    }
    if (this.#first === undefined) this.#first = chunk;
    else (this.#chunks ??= [this.#first]).push(chunk);
  }

  onResponseEnd(): void {
    const body = this.#chunks !== undefined ? Buffer.concat(this.#chunks) : (this.#first ?? EMPTY);
    this.#finish({ status: this.#status, headers: this.#headers, body, error: undefined });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.#fail(`dispatch error: ${err.message}`);
  }

  #fail(error: string): void {
    if (this.#cb === undefined) return;
    this.#finish({ status: 0, headers: NO_HEADERS, body: EMPTY, error });
    // Abort after the callback is gone, so the abort's own error is ignored.
    if (this.#controller !== undefined && !this.#controller.aborted) this.#controller.abort(ABORTED);
  }

  #finish(r: SendResult): void {
    const cb = this.#cb;
    if (cb === undefined) return;
    this.#cb = undefined;
    clearTimeout(this.timer);
    cb(r);
  }
}

const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});
const ABORTED = new Error('delivery attempt abandoned');

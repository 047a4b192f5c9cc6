// One delivery attempt over HTTP/1.1: POST the event in binary mode, read the status and (bounded) body, give up at
// the attempt's timeout. Keep-alive connections are pooled per host by one Agent. Hosts under `.localhost` are
// dialled on 127.0.0.1 (RFC 6761: they are loopback), so `http://hello.default.localhost:8080` reaches the router
// without DNS set-up, and the Host header still names the service, so the router routes it (and the activator
// holds it while a sink scaled to zero starts).

import http from 'node:http';

export interface Target {
  /** As configured, for `knativeerrordest` and messages. */
  readonly url: string;
  readonly connectHost: string;
  readonly port: number;
  readonly path: string;
  readonly hostHeader: string;
}

export interface SendResult {
  /** HTTP status; 0 when no response arrived (refused, reset, timeout). */
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
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
  return Object.freeze({
    url,
    connectHost: loopback ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 80 : Number(u.port),
    path: `${u.pathname}${u.search}`,
    hostHeader: u.host,
  });
}

export class Sender {
  readonly #agent: http.Agent;

  constructor(maxSockets = 1024) {
    this.#agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: 256, scheduling: 'lifo' });
  }

  /** POSTs `body` with `headers` (flat list); `cb` is called exactly once. */
  send(t: Target, headers: readonly string[], body: Buffer | undefined, timeoutMs: number, cb: (r: SendResult) => void): void {
    let done = false;
    const finish = (r: SendResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cb(r);
    };
    const fail = (error: string): void => finish({ status: 0, headers: {}, body: EMPTY, error });
    const h: string[] = ['host', t.hostHeader, 'content-length', String(body?.length ?? 0), ...headers];
    const req = http.request({ agent: this.#agent, host: t.connectHost, port: t.port, path: t.path, method: 'POST', headers: h });
    const timer = setTimeout(() => {
      fail(`timeout after ${String(timeoutMs)} ms`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => fail(`dispatch error: ${err.message}`));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          fail(`response body larger than ${String(MAX_RESPONSE_BYTES)} bytes`);
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? (chunks[0] ?? EMPTY) : Buffer.concat(chunks), error: undefined }));
      res.on('error', (err) => fail(`dispatch error: ${err.message}`));
      res.on('aborted', () => fail('dispatch error: response aborted'));
    });
    req.end(body);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Test harness for the fallback engine: a `net.Server` on 127.0.0.1:0 that adopts every connection into the engine
 * (sniffing the HTTP/2 preface), a handler that forwards to a test upstream, and a ledger of `onFinish` calls.
 * Optionally a fake fast path answers the first request of each connection itself, then hands the connection over
 * with whatever it read past that request.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Exchange, ExchangeHandler, ForwardEdits, Outcome, Timeouts } from '../http/exchange.js';
import { Upstream } from '../http/upstream.js';
import { createFallbackEngine, type FallbackEngine } from './engine.js';

export interface FinishRecord {
  readonly ex: Exchange;
  readonly outcome: Outcome;
  readonly status: number;
}

export interface ProxyOptions {
  readonly upstreamPort: number;
  readonly timeouts?: Timeouts;
  readonly edits?: ForwardEdits;
  readonly headersTimeoutMs?: number;
  /** Answer `GET /fast` requests that open a connection without the engine, then hand the connection over. */
  readonly fastPathFirst?: boolean;
  readonly handler?: ExchangeHandler;
}

export interface Proxy {
  readonly port: number;
  readonly engine: FallbackEngine;
  readonly upstream: Upstream;
  readonly finishes: FinishRecord[];
  readonly exchanges: Exchange[];
  /** Resolves when `n` exchanges have finished in total. */
  finished(n: number): Promise<FinishRecord[]>;
  /** Resolves with the next exchange the handler sees. */
  nextExchange(): Promise<Exchange>;
  /** Number of onFinish calls per exchange, for the exactly-once check. */
  readonly counts: Map<Exchange, number>;
  stop(): Promise<void>;
}

export const DEFAULT_EDITS: ForwardEdits = {
  drop: new Set(['knative-serving-revision', 'knative-serving-namespace']),
  add: ['X-Added', 'yes'],
  appendXff: true,
};

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * The default handler: `x-test-respond: <status>` answers locally, `x-test-host` overrides Host, everything else is
 * forwarded with DEFAULT_EDITS.
 */
function defaultHandler(upstream: Upstream, opts: ProxyOptions): ExchangeHandler {
  const edits = opts.edits ?? DEFAULT_EDITS;
  return (ex) => {
    if (opts.timeouts !== undefined) ex.setTimeouts(opts.timeouts);
    const local = ex.header('x-test-respond');
    if (local !== undefined) {
      ex.respond(Number(local), ['Content-Type', 'text/plain', 'X-Local', '1'], 'local answer\n');
      return;
    }
    ex.forward(upstream, edits, ex.header('x-test-host'), ['X-Extra', 'extra']);
  };
}

export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  const upstream = new Upstream({ host: '127.0.0.1', port: opts.upstreamPort, maxIdle: 10 });
  const finishes: FinishRecord[] = [];
  const exchanges: Exchange[] = [];
  const counts = new Map<Exchange, number>();
  const finishWaiters: { n: number; resolve: (r: FinishRecord[]) => void }[] = [];
  const exchangeWaiters: ((ex: Exchange) => void)[] = [];
  const inner = opts.handler ?? defaultHandler(upstream, opts);

  const handler: ExchangeHandler = (ex) => {
    exchanges.push(ex);
    ex.onFinish = (e, outcome, status) => {
      counts.set(e, (counts.get(e) ?? 0) + 1);
      finishes.push({ ex: e, outcome, status });
      for (let i = finishWaiters.length - 1; i >= 0; i--) {
        const w = finishWaiters[i];
        if (w !== undefined && finishes.length >= w.n) {
          finishWaiters.splice(i, 1);
          w.resolve(finishes.slice());
        }
      }
    };
    const w = exchangeWaiters.shift();
    inner(ex);
    if (w !== undefined) w(ex);
  };
  const engine = createFallbackEngine({
    handler,
    ...(opts.headersTimeoutMs !== undefined ? { headersTimeoutMs: opts.headersTimeoutMs } : {}),
  });

  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const n = Math.min(buf.length, PREFACE.length);
      if (buf.subarray(0, n).equals(PREFACE.subarray(0, n))) {
        if (buf.length < PREFACE.length) return;
        socket.removeListener('data', onData);
        socket.pause();
        engine.adoptHttp2(socket, buf);
        return;
      }
      if (opts.fastPathFirst === true && buf.subarray(0, 10).toString('latin1') === 'GET /fast ') {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Fast: 1\r\n\r\nfast\n');
        buf = buf.subarray(end + 4);
        if (buf.length === 0) {
          // Keep reading: the next request decides (the fake fast path hands every later one over).
          socket.removeListener('data', onData);
          // Handed over still flowing (no listener, not paused): the engine must not lose bytes either way.
          socket.once('data', (next: Buffer) => {
            engine.adoptHttp1(socket, next);
          });
          return;
        }
      }
      socket.removeListener('data', onData);
      socket.pause();
      engine.adoptHttp1(socket, buf);
    };
    socket.on('data', onData);
  });
  const port = await listenLocal(server);

  return {
    port,
    engine,
    upstream,
    finishes,
    exchanges,
    counts,
    finished(n) {
      if (finishes.length >= n) return Promise.resolve(finishes.slice());
      return new Promise((resolve) => finishWaiters.push({ n, resolve }));
    },
    nextExchange() {
      return new Promise((resolve) => exchangeWaiters.push(resolve));
    },
    async stop() {
      server.close();
      await engine.close(1_000);
      upstream.close();
    },
  };
}

/** Listens on 127.0.0.1, port 0; resolves with the port. */
async function listenLocal(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

async function closeServer(server: net.Server): Promise<void> {
  server.close();
  await once(server, 'close');
}

export interface TestUpstream {
  readonly port: number;
  readonly server: http.Server;
  stop(): Promise<void>;
}

export async function startUpstream(handler: http.RequestListener): Promise<TestUpstream> {
  const server = http.createServer(handler);
  return {
    port: await listenLocal(server),
    server,
    stop() {
      server.closeAllConnections();
      return closeServer(server);
    },
  };
}

/** An upstream that answers plain requests with `plainBody` and accepts websockets, handing each to `onSocket`. */
export async function startWsUpstream(
  onSocket: (ws: WebSocket, req: http.IncomingMessage) => void,
  plainBody?: string,
): Promise<TestUpstream> {
  const up = await startUpstream((_req, res) => res.end(plainBody));
  const wss = new WebSocketServer({ server: up.server });
  wss.on('connection', onSocket);
  return {
    port: up.port,
    server: up.server,
    stop() {
      wss.close();
      return up.stop();
    },
  };
}

export interface TestRawUpstream {
  readonly port: number;
  stop(): Promise<void>;
}

/** An upstream speaking whatever `onSocket` writes on each raw connection. `stop` only stops listening. */
export async function startRawUpstream(onSocket: (s: net.Socket) => void): Promise<TestRawUpstream> {
  const server = net.createServer(onSocket);
  return {
    port: await listenLocal(server),
    stop() {
      server.close();
      return Promise.resolve();
    },
  };
}

export interface TestH2Upstream {
  readonly port: number;
  readonly server: http2.Http2Server;
  stop(): Promise<void>;
}

export async function startH2Upstream(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
): Promise<TestH2Upstream> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.on('stream', onStream);
  return {
    port: await listenLocal(server),
    server,
    stop() {
      for (const s of sessions) s.destroy();
      return closeServer(server);
    },
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listenLocal(s);
  await closeServer(s);
  return port;
}

export type Cleanup = () => Promise<void>;

/** Runs `cleanups` last added first (for `afterEach`), and empties the list. */
export async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
}

/** Starts a proxy in front of `up`; stopping both (the proxy first) is added to `cleanups`. */
export async function proxyTo(
  up: { readonly port: number; stop(): Promise<void> },
  cleanups: Cleanup[],
  opts: Omit<ProxyOptions, 'upstreamPort'> = {},
): Promise<Proxy> {
  const proxy = await startProxy({ ...opts, upstreamPort: up.port });
  cleanups.push(async () => {
    await proxy.stop();
    await up.stop();
  });
  return proxy;
}

/** An h2c (prior knowledge) client session to the proxy, destroyed on cleanup before what was added earlier. */
export function h2Client(proxy: Proxy, cleanups: Cleanup[]): http2.ClientHttp2Session {
  const client = http2.connect(`http://127.0.0.1:${String(proxy.port)}`);
  client.on('error', () => undefined);
  cleanups.push(() => {
    client.destroy();
    return Promise.resolve();
  });
  return client;
}

/** An h2c upstream served by `onStream`, a proxy in front of it and a client session to the proxy. */
export async function startH2Proxy(
  onStream: Parameters<typeof startH2Upstream>[0],
  cleanups: Cleanup[],
  opts: Omit<ProxyOptions, 'upstreamPort'> = {},
): Promise<{ proxy: Proxy; client: http2.ClientHttp2Session }> {
  const proxy = await proxyTo(await startH2Upstream(onStream), cleanups, opts);
  return { proxy, client: h2Client(proxy, cleanups) };
}

export interface H2Reply {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly informational: http2.IncomingHttpHeaders[];
  readonly body: string;
  readonly trailers: http2.IncomingHttpHeaders | undefined;
}

/** Reads a whole response on a client stream; rejects if the stream is reset. */
export function readH2(stream: http2.ClientHttp2Stream): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const informational: http2.IncomingHttpHeaders[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    let body = '';
    stream.on('headers', (h) => informational.push(h));
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t: http2.IncomingHttpHeaders) => (trailers = t));
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (body += d));
    stream.on('error', reject);
    stream.on('end', () => resolve({ status: Number(headers[':status'] ?? 0), headers, informational, body, trailers }));
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
  readonly trailers: NodeJS.Dict<string>;
  readonly informational: http.InformationEvent[];
}

/** One request on a fresh connection; rejects if the response is cut. */
export function request(
  port: number,
  opts: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders | string[]; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const informational: http.InformationEvent[] = [];
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('error', reject);
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            trailers: res.trailers,
            informational,
          });
        });
      },
    );
    req.on('information', (i) => informational.push(i));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Writes `data` on a raw connection and collects everything until the server closes it. */
export function rawRequest(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.write(data);
  });
}

/** Reads from a raw socket until `pred` holds on everything received so far. */
export function readUntil(s: net.Socket, pred: (all: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString('latin1');
      if (pred(out)) {
        s.removeListener('data', onData);
        s.removeListener('close', onClose);
        resolve(out);
      }
    };
    const onClose = (): void => {
      reject(new Error(`connection closed; got ${JSON.stringify(out)}`));
    };
    s.on('data', onData);
    s.once('close', onClose);
  });
}

/** A promise with its resolver, for letting a test upstream proceed. */
export function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void } {
  let open: (v: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

/** Lets pending I/O callbacks and ticks run (not a timer: nothing waits on time). */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

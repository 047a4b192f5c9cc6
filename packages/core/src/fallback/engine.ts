/**
 * The fallback engine: everything the byte-level HTTP/1.1 fast path hands over (HTTP/1.0, `Expect`, upgrades,
 * h2c prior knowledge and `Upgrade: h2c`) is served by an internal node:http / node:http2 server that never
 * listens; sockets enter through `server.emit('connection', socket)` with the bytes already read put back first.
 *
 * The same `ExchangeHandler` as the fast path decides what happens; the exchanges here implement `Exchange` on
 * node's request objects (`h1-exchange.ts`, `upgrade-exchange.ts`, `h2-exchange.ts`).
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Exchange, ExchangeHandler } from '../http/exchange.js';
import { HANDLER_ERROR_HEADERS, type BaseExchange, type ExchangeOwner } from './exchange-base.js';
import { H1Exchange } from './h1-exchange.js';
import { H2Exchange } from './h2-exchange.js';
import { hasBody, isH2cUpgrade, upgradeToH2c } from './h2c-upgrade.js';
import { hasToken, upgradeType } from './headers.js';
import { H2_CONNECTION_WINDOW, H2_SETTINGS } from './pools.js';
import { UpgradeExchange } from './upgrade-exchange.js';

export interface FallbackOptions {
  handler: ExchangeHandler;
  /** Time allowed to receive a request head (and an h2c preface after `101`); 0 disables. Default 60 000: Knative's
   * main server `ReadHeaderTimeout` (docs/contract/queue-proxy.md §1.2). */
  headersTimeoutMs?: number;
  /**
   * Called when `handler` throws (after the engine answered `500` if it still could). Default: the error is
   * rethrown on the next tick, like any exception escaping a node callback.
   */
  onHandlerError?: (err: unknown, ex: Exchange) => void;
}

export interface FallbackEngine {
  /** Take over an HTTP/1.x connection. `buffered` = bytes already read from the socket and not consumed (a whole
   * request head at least); the engine processes them first. The socket must have no 'data' listeners. */
  adoptHttp1(socket: Socket, buffered: Buffer): void;
  /** Take over a connection that started with the HTTP/2 preface (`buffered` holds the bytes read so far). */
  adoptHttp2(socket: Socket, buffered: Buffer): void;
  /** Graceful close: no new requests on adopted connections (idle keep-alives closed, in-flight ones get
   * `Connection: close` / GOAWAY); resolves when every exchange, upgraded tunnels included, has ended, or after
   * `graceMs` (then what is left is destroyed, its exchanges finishing with outcome 'timeout'). */
  close(graceMs: number): Promise<void>;
  readonly activeExchanges: number;
}

/** Go's `http.DefaultMaxHeaderBytes` (1 MiB): node's 16 KiB default would refuse heads Knative accepts. */
const MAX_HEADER_BYTES = 1 << 20;
/** How often node checks `headersTimeout` (its default is 30 s, too coarse for a 60 s deadline). */
const HEADERS_CHECK_INTERVAL_MS = 1_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;

interface CloseState {
  readonly promise: Promise<void>;
  readonly done: () => void;
}

class Engine implements FallbackEngine, ExchangeOwner {
  closing = false;
  private closed = false;
  private closeState: CloseState | null = null;
  private readonly active = new Set<BaseExchange<string>>();
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly handler: ExchangeHandler;
  private readonly onHandlerError: ((err: unknown, ex: Exchange) => void) | undefined;
  private readonly headersTimeoutMs: number;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;

  constructor(opts: FallbackOptions) {
    if (typeof opts.handler !== 'function') throw new TypeError('FallbackOptions.handler must be a function');
    const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    if (!Number.isInteger(headersTimeoutMs) || headersTimeoutMs < 0) {
      throw new RangeError(`FallbackOptions.headersTimeoutMs must be a non-negative integer, got ${String(headersTimeoutMs)}`);
    }
    this.handler = opts.handler;
    this.onHandlerError = opts.onHandlerError;
    this.headersTimeoutMs = headersTimeoutMs;

    this.h1 = http.createServer({
      headersTimeout: headersTimeoutMs,
      // Knative's main server has no read, write or idle timeout (docs/contract/queue-proxy.md §1.2); T/RS/I are per exchange.
      requestTimeout: 0,
      keepAliveTimeout: 0,
      maxHeaderSize: MAX_HEADER_BYTES,
      connectionsCheckingInterval: HEADERS_CHECK_INTERVAL_MS,
    });
    this.h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.startInOrder(new H1Exchange(this, req, res, false), req.socket);
    });
    // With a listener node does not answer `100 Continue` itself: upstream's 100 is relayed, or the handler's
    // local answer goes out without the body ever being read.
    this.h1.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.startInOrder(new H1Exchange(this, req, res, true), req.socket);
    });
    this.h1.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      this.onUpgrade(req, socket, head);
    });
    // node starts tracking connections (what `headersTimeout` and `closeIdleConnections()` work on) when a server
    // starts listening; this one never listens, so start it the same way.
    this.h1.emit('listening');

    this.h2 = http2.createServer({ settings: H2_SETTINGS });
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.sessions.add(session);
      session.on('error', () => undefined);
      session.setLocalWindowSize(H2_CONNECTION_WINDOW);
      session.once('close', () => this.sessions.delete(session));
      // Let the buffered frames become streams first, so GOAWAY names them as processed.
      if (this.closing) setImmediate(() => session.close());
    });
    this.h2.on(
      'stream',
      (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
        this.start(new H2Exchange(this, stream, raw));
      },
    );
  }

  get activeExchanges(): number {
    return this.active.size;
  }

  adoptHttp1(socket: Socket, buffered: Buffer): void {
    if (!this.adopt(socket)) return;
    // As node:http's own sockets: a client's FIN must not end our side, or a tunnel could not half-close (node:http
    // still ends plain HTTP connections on FIN itself).
    socket.allowHalfOpen = true;
    if (buffered.length > 0) socket.unshift(buffered);
    this.h1.emit('connection', socket);
    // node's connection listener resumes a socket by adding its 'data' listener, unless it was explicitly paused.
    if (socket.readableFlowing === false) socket.resume();
  }

  adoptHttp2(socket: Socket, buffered: Buffer): void {
    if (!this.adopt(socket)) return;
    // node:http2 reads what is buffered with `socket.read()` on the next tick: the socket must not flow meanwhile,
    // or those bytes would be emitted to no listener.
    socket.pause();
    if (buffered.length > 0) socket.unshift(buffered);
    this.adoptedH2(socket);
  }

  /** node:http2 never watches for the client's FIN: the socket must close on it (http2 servers' default). */
  private adoptedH2(socket: Socket): void {
    socket.allowHalfOpen = false;
    this.h2.emit('connection', socket);
  }

  close(graceMs: number): Promise<void> {
    if (this.closeState !== null) return this.closeState.promise;
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new RangeError(`close(graceMs): graceMs must be a non-negative number, got ${String(graceMs)}`);
    }
    this.closing = true;
    for (const ex of this.active) ex.onEngineClosing();
    this.h1.closeIdleConnections();
    for (const s of this.sessions) s.close();

    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    const timer = setTimeout(() => {
      for (const ex of [...this.active]) ex.kill();
      done();
    }, graceMs);
    const done = (): void => {
      if (this.closed) return;
      this.closed = true;
      clearTimeout(timer);
      // Stops node's connection-checking interval; the server never listened, so nothing else happens.
      this.h1.close();
      for (const s of this.sessions) s.destroy();
      for (const socket of this.sockets) socket.destroy();
      resolve();
    };
    this.closeState = { promise, done };
    if (this.active.size === 0) done();
    return promise;
  }

  exchangeEnded(ex: BaseExchange<string>): void {
    this.active.delete(ex);
    const socket = this.socketOf.get(ex);
    if (socket !== undefined) {
      this.socketOf.delete(ex);
      this.startNext(socket);
    }
    if (!this.closing) return;
    // The connection that carried it may be idle now.
    this.h1.closeIdleConnections();
    if (this.active.size === 0) this.closeState?.done();
  }

  private adopt(socket: Socket): boolean {
    if (this.closed) {
      socket.destroy();
      return false;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // Stream chunks as they come: no Nagle delay on small writes (SSE, 1xx, tunnels).
    socket.setNoDelay(true);
    // The engine owns the connection's deadlines from now on (node:http would destroy it on a leftover one).
    socket.setTimeout(0);
    return true;
  }

  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => undefined);
    if (isH2cUpgrade(req)) {
      upgradeToH2c(req, socket, head, this.headersTimeoutMs, (s) => this.adoptedH2(s));
      return;
    }
    const type = upgradeType(req.rawHeaders);
    if (type === undefined || hasBody(req)) {
      // node stopped parsing at the head; serve the request as plain HTTP/1.1 (RFC 9110 §7.8 lets a server ignore
      // Upgrade) by putting the head back without it.
      this.reparseWithoutUpgrade(req, socket, head);
      return;
    }
    this.start(new UpgradeExchange(this, req, socket, Buffer.from(head), type));
  }

  private reparseWithoutUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const raw = req.rawHeaders;
    let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] ?? '';
      const lower = name.toLowerCase();
      let value = raw[i + 1] ?? '';
      if (lower === 'upgrade') continue;
      if (lower === 'connection' && hasToken(value, 'upgrade')) {
        value = value
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '' && t.toLowerCase() !== 'upgrade')
          .join(', ');
        if (value === '') continue;
      }
      text += `${name}: ${value}\r\n`;
    }
    socket.unshift(Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'), head]));
    this.h1.emit('connection', socket);
  }

  /**
   * node:http emits every pipelined request as soon as it is parsed, so two requests of one connection could be
   * forwarded at once on two upstream connections and reach the app in either order. A connection's requests are
   * handed to the handler one at a time instead, each after the previous exchange ended, as the fast path does.
   */
  private startInOrder(ex: BaseExchange<string>, socket: Socket): void {
    const queue = this.waiting.get(socket);
    if (queue !== undefined) {
      this.active.add(ex);
      queue.push(ex);
      return;
    }
    this.waiting.set(socket, []);
    this.socketOf.set(ex, socket);
    this.start(ex);
  }

  private startNext(socket: Socket): void {
    const queue = this.waiting.get(socket);
    if (queue === undefined) return;
    for (;;) {
      const next = queue.shift();
      if (next === undefined) {
        this.waiting.delete(socket);
        return;
      }
      // Its client may have gone while it waited (the exchange then ended on its own, unstarted).
      if (next.finished) continue;
      this.socketOf.set(next, socket);
      // Not from inside the previous exchange's finish(): start it on the next tick.
      // (If it ends before that, its exchangeEnded moves the queue on.)
      process.nextTick(() => {
        if (!next.finished) this.start(next);
      });
      return;
    }
  }

  /** Per connection: the exchanges parsed while an earlier one was in progress (present = one is in progress). */
  private readonly waiting = new WeakMap<Socket, BaseExchange<string>[]>();
  private readonly socketOf = new WeakMap<BaseExchange<string>, Socket>();

  private start(ex: BaseExchange<string>): void {
    this.active.add(ex);
    try {
      this.handler(ex);
    } catch (err) {
      if (!ex.finished && !ex.responseStarted) ex.respond(500, HANDLER_ERROR_HEADERS, 'internal error\n');
      const report = this.onHandlerError;
      if (report !== undefined) report(err, ex);
      else
        process.nextTick(() => {
          throw err;
        });
    }
  }
}

export function createFallbackEngine(opts: FallbackOptions): FallbackEngine {
  return new Engine(opts);
}

/**
 * The fast-path HTTP/1.1 server engine: accepts connections, runs one `ClientConn` each, sweeps timeouts with
 * one coarse shared timer (no per-request `setTimeout`), and closes gracefully.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Exchange, ExchangeHandler } from '../http/exchange.js';
import { ClientConn } from './client-conn.js';
import { listenOn } from '../http/listen.js';

/** What a connection needs from its engine (one object, shared by all the engine's connections). */
export interface EngineHooks {
  readonly handler: (ex: Exchange) => void;
  /** Hands a connection to node:http / node:http2; null answers such requests with an error instead. */
  readonly adoptHttp1: ((socket: net.Socket, buffered: Buffer) => void) | null;
  readonly adoptHttp2: ((socket: net.Socket, buffered: Buffer) => void) | null;
  readonly dateHeader: () => string;
  readonly armTimeouts: (c: ClientConn) => void;
  readonly disarmTimeouts: (c: ClientConn) => void;
  readonly removed: (c: ClientConn) => void;
  /** When set, every response gets `Connection: close` and connections end after it. */
  readonly closing: () => boolean;
}

/** What the engine needs from the node:http/http2 fallback; `createFallbackEngine` provides it. */
export interface Adopter {
  adoptHttp1(socket: net.Socket, buffered: Buffer): void;
  adoptHttp2(socket: net.Socket, buffered: Buffer): void;
  close(graceMs: number): Promise<void>;
}

export interface Http1EngineOptions {
  readonly handler: ExchangeHandler;
  /** Serves HTTP/1.0, Expect, Upgrade and h2c. Without it those are served as plain HTTP/1.1 or rejected. */
  readonly fallback?: Adopter | null;
  /** Knative's ReadHeaderTimeout: 1 minute (`S:pkg/queue/sharedmain/servers.go`). */
  readonly headersTimeoutMs?: number;
  /** Sweep period of the shared timeout timer. Timeouts fire up to this late. */
  readonly sweepMs?: number;
}

export class Http1Engine {
  readonly server: net.Server;
  private readonly conns = new Set<ClientConn>();
  private readonly armed = new Set<ClientConn>();
  private readonly hooks: EngineHooks;
  private readonly fallback: Adopter | null;
  private readonly headersTimeoutMs: number;
  private readonly timer: NodeJS.Timeout;
  private closing = false;
  private date = new Date().toUTCString();
  private dateSecond = Math.floor(Date.now() / 1000);
  private emptyWaiters: (() => void)[] = [];

  constructor(opts: Http1EngineOptions) {
    const headersTimeoutMs = opts.headersTimeoutMs ?? 60_000;
    if (!Number.isFinite(headersTimeoutMs) || headersTimeoutMs <= 0) {
      throw new RangeError(`headersTimeoutMs must be a positive number, got ${String(headersTimeoutMs)}`);
    }
    const sweepMs = opts.sweepMs ?? 25;
    if (!Number.isFinite(sweepMs) || sweepMs <= 0) throw new RangeError(`sweepMs must be positive, got ${String(sweepMs)}`);
    this.headersTimeoutMs = headersTimeoutMs;
    this.fallback = opts.fallback ?? null;
    const fb = this.fallback;
    this.hooks = {
      handler: opts.handler,
      adoptHttp1: fb === null ? null : (s, b) => fb.adoptHttp1(s, b),
      adoptHttp2: fb === null ? null : (s, b) => fb.adoptHttp2(s, b),
      dateHeader: () => this.dateHeader(),
      armTimeouts: (c) => this.armed.add(c),
      disarmTimeouts: (c) => this.armed.delete(c),
      removed: (c) => this.removed(c),
      closing: () => this.closing,
    };
    this.server = net.createServer({ noDelay: true }, (socket) => this.attach(socket));
    this.timer = setInterval(() => this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Serve a socket accepted elsewhere (e.g. a TLS server or a test). */
  attach(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.conns.add(new ClientConn(socket, this.hooks));
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host, 4096);
  }

  get connections(): number {
    return this.conns.size;
  }

  private dateHeader(): string {
    const s = Math.floor(Date.now() / 1000);
    if (s !== this.dateSecond) {
      this.dateSecond = s;
      this.date = new Date(s * 1000).toUTCString();
    }
    return this.date;
  }

  private removed(c: ClientConn): void {
    this.conns.delete(c);
    this.armed.delete(c);
    if (this.conns.size === 0 && this.emptyWaiters.length > 0) {
      for (const w of this.emptyWaiters.splice(0)) w();
    }
  }

  private lastHeadSweep = 0;

  private sweep(): void {
    const now = performance.now();
    if (this.armed.size > 0) {
      for (const c of this.armed) c.checkTimeouts(now);
    }
    // Slow-loris guard: a head that has not completed within headersTimeoutMs. Checked once a second.
    if (now - this.lastHeadSweep >= 1000) {
      this.lastHeadSweep = now;
      for (const c of this.conns) {
        if (c.headStartedAt !== 0 && now - c.headStartedAt >= this.headersTimeoutMs) c.socket.destroy();
      }
    }
  }

  /**
   * Graceful close: stop accepting, close idle connections, let in-flight exchanges finish (their responses
   * carry `Connection: close`), then resolve; after `graceMs` whatever is left is destroyed.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) c.shutdown();
    const drained = this.conns.size === 0 ? Promise.resolve() : new Promise<void>((r) => this.emptyWaiters.push(r));
    const fb = this.fallback === null ? Promise.resolve() : this.fallback.close(graceMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => {
      timer = setTimeout(() => {
        for (const c of this.conns) c.socket.destroy();
        r();
      }, graceMs);
    });
    await Promise.race([Promise.all([drained, fb]), deadline]);
    clearTimeout(timer);
    clearInterval(this.timer);
    await closed;
  }
}

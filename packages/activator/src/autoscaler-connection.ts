/**
 * The activator's durable websocket to Knative's autoscaler (knative/pkg `websocket.NewDurableSendingConnection`,
 * used by cmd/activator/main.go for the stat sink): dial, and on failure or loss dial again with Knative's backoff
 * (100 ms, ×1.3, jitter 0.5, 20 steps; then the cycle starts over, forever), 3 s handshake timeout. A ping every
 * 5 s with a 10 s pong deadline (knative/pkg `pongTimeout`) notices a peer that vanished without a FIN.
 * `connected` is what the activator's readiness reports (main.go `newHealthCheck` → `statSink.Status()`).
 * Sends while disconnected are dropped, as Knative's are (`ErrConnectionNotEstablished`, logged).
 */
import type { Logger } from '@kdp/core';
import WebSocket from 'ws';

export interface AutoscalerConnectionOptions {
  readonly url: string;
  readonly logger: Logger;
  /** knative/pkg connectionBackoff. */
  readonly backoffInitialMs?: number;
  readonly backoffFactor?: number;
  readonly backoffSteps?: number;
  readonly backoffJitter?: number;
  readonly handshakeTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  /** Called on every connect and disconnect (metrics: `kn.activator.stats.conn.*`). */
  readonly onState?: (connected: boolean) => void;
}

export class AutoscalerConnection {
  readonly url: string;
  readonly #opts: AutoscalerConnectionOptions;
  readonly #logger: Logger;
  #ws: WebSocket | null = null;
  #open = false;
  #step = 0;
  #timer: NodeJS.Timeout | null = null;
  #ping: NodeJS.Timeout | null = null;
  #lastPong = 0;
  #closed = false;
  #started = false;
  /** Disconnects seen (Knative `kn.activator.stats.conn.errors`). */
  errors = 0;
  /** Batches dropped because no connection was open. */
  dropped = 0;

  constructor(opts: AutoscalerConnectionOptions) {
    this.url = opts.url;
    this.#opts = opts;
    this.#logger = opts.logger;
  }

  get connected(): boolean {
    return this.#open;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#dial();
  }

  /** Send one binary message; false (and dropped) when not connected. */
  send(bytes: Uint8Array): boolean {
    const ws = this.#ws;
    if (!this.#open || ws === null) {
      this.dropped++;
      return false;
    }
    ws.send(bytes, { binary: true }, (err) => {
      if (err !== undefined && err !== null) this.#logger.warn({ err: err.message }, 'autoscaler is not reachable from the activator; stats were not sent');
    });
    return true;
  }

  /** Close for good (after the listeners drained). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stopPing();
    const ws = this.#ws;
    this.#ws = null;
    const was = this.#open;
    this.#open = false;
    if (ws !== null) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    }
    if (was) this.#opts.onState?.(false);
  }

  #dial(): void {
    if (this.#closed) return;
    this.#timer = null;
    const ws = new WebSocket(this.url, { handshakeTimeout: this.#opts.handshakeTimeoutMs ?? 3000, perMessageDeflate: false });
    this.#ws = ws;
    ws.on('open', () => {
      if (this.#ws !== ws) return;
      this.#open = true;
      this.#step = 0;
      this.#lastPong = performance.now();
      this.#startPing(ws);
      this.#logger.info({ url: this.url }, 'autoscaler connection established');
      this.#opts.onState?.(true);
    });
    ws.on('pong', () => {
      this.#lastPong = performance.now();
    });
    ws.on('error', (err) => {
      this.#logger.debug({ url: this.url, err: err.message }, 'autoscaler connection error');
    });
    ws.on('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#stopPing();
      if (this.#open) {
        this.#open = false;
        this.errors++;
        this.#logger.error({ url: this.url }, 'autoscaler connection lost');
        this.#opts.onState?.(false);
      }
      this.#retry();
    });
  }

  #retry(): void {
    if (this.#closed) return;
    const initial = this.#opts.backoffInitialMs ?? 100;
    const factor = this.#opts.backoffFactor ?? 1.3;
    const steps = this.#opts.backoffSteps ?? 20;
    const jitter = this.#opts.backoffJitter ?? 0.5;
    // wait.ExponentialBackoff: each step sleeps duration·(1 + rand·jitter), then duration ×= factor; after `steps`
    // tries `connect` fails and the loop in NewDurableConnection calls it again from the initial duration.
    if (this.#step >= steps) this.#step = 0;
    const base = initial * factor ** this.#step;
    this.#step++;
    const delay = base * (1 + Math.random() * jitter);
    this.#timer = setTimeout(() => this.#dial(), delay);
    this.#timer.unref();
  }

  #startPing(ws: WebSocket): void {
    const every = this.#opts.pingIntervalMs ?? 5000;
    const deadline = this.#opts.pongTimeoutMs ?? 10_000;
    this.#ping = setInterval(() => {
      if (performance.now() - this.#lastPong > deadline) {
        this.#logger.warn({ url: this.url, pongTimeoutMs: deadline }, 'autoscaler stopped answering pings; reconnecting');
        ws.terminate();
        return;
      }
      ws.ping();
    }, every);
    this.#ping.unref();
  }

  #stopPing(): void {
    if (this.#ping !== null) clearInterval(this.#ping);
    this.#ping = null;
  }
}

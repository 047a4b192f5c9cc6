import type { UnreachableHandler } from './exchange.js';

/**
 * An upstream HTTP server (the user container for the queue-proxy, a pod's queue-proxy for the activator).
 * Engines keep their own connection pools on it under private keys, so one Upstream serves both engines and
 * `close()` releases everything.
 */
export interface UpstreamOptions {
  readonly host: string;
  readonly port: number;
  /** Idle keep-alive connections kept per engine (Knative: CC, or 1000 when CC = 0). */
  readonly maxIdle: number;
  /**
   * Open connections per engine; further requests wait for one to be released. 0 (default): no limit, as Go's
   * `MaxConnsPerHost`. The activator sets one so that releasing thousands of buffered requests at once does not
   * open thousands of connections to one pod (its listen backlog drops them).
   */
  readonly maxConnections?: number;
  /** Where a request that provably never reached this upstream's application may be sent instead (exchange.ts). */
  readonly onUnreachable?: UnreachableHandler | null;
}

export interface UpstreamAttachment {
  close(): void;
}

export class Upstream {
  readonly host: string;
  readonly port: number;
  readonly maxIdle: number;
  readonly maxConnections: number;
  readonly onUnreachable: UnreachableHandler | null;
  /** `host:port`, as used in error messages (`dial tcp 127.0.0.1:8080: connect: connection refused`). */
  readonly authority: string;
  /** Engine-private pools, keyed by a symbol each engine owns. */
  readonly attachments = new Map<symbol, UpstreamAttachment>();

  constructor(opts: UpstreamOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
      throw new RangeError(`Upstream port must be an integer in 1..65535, got ${String(opts.port)}`);
    }
    if (!Number.isInteger(opts.maxIdle) || opts.maxIdle < 0) {
      throw new RangeError(`Upstream maxIdle must be a non-negative integer, got ${String(opts.maxIdle)}`);
    }
    this.host = opts.host;
    this.port = opts.port;
    const maxConnections = opts.maxConnections ?? 0;
    if (!Number.isInteger(maxConnections) || maxConnections < 0) {
      throw new RangeError(`Upstream maxConnections must be a non-negative integer, got ${String(maxConnections)}`);
    }
    this.maxIdle = opts.maxIdle;
    this.maxConnections = maxConnections;
    this.onUnreachable = opts.onUnreachable ?? null;
    this.authority = `${opts.host}:${String(opts.port)}`;
  }

  close(): void {
    for (const a of this.attachments.values()) a.close();
    this.attachments.clear();
  }
}

/**
 * Keep-alive pool of raw upstream sockets for the fast path, one per Upstream.
 * LIFO: the most recently used socket is the least likely to have hit the upstream's idle timeout.
 * Each pooled socket has one long-lived `UpConn` with listeners bound once; ownership moves between client
 * connections, so nothing is allocated per request.
 */
import net from 'node:net';
import type { Upstream, UpstreamAttachment } from '../http/upstream.js';

const POOL_KEY = Symbol('kdp.http1.pool');

export interface UpOwner {
  /** A socket became available for an owner that waited at the connection cap. */
  onUpstreamAssigned(up: UpConn): void;
  onUpstreamConnect(up: UpConn): void;
  onUpstreamData(up: UpConn, chunk: Buffer): void;
  onUpstreamDrain(up: UpConn): void;
  onUpstreamClose(up: UpConn, err: Error | null): void;
}

export class UpConn {
  readonly socket: net.Socket;
  owner: UpOwner | null = null;
  connected = false;
  /** True once this socket served a request: a close before any response byte may be a stale keep-alive. */
  reused = false;
  closed = false;
  private error: Error | null = null;

  constructor(
    readonly pool: Http1Pool,
    socket: net.Socket,
  ) {
    this.socket = socket;
    socket.on('connect', this.onConnect);
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private readonly onConnect = (): void => {
    this.connected = true;
    this.socket.setNoDelay(true);
    this.owner?.onUpstreamConnect(this);
  };

  private readonly onData = (chunk: Buffer): void => {
    const owner = this.owner;
    if (owner === null) {
      // An idle keep-alive socket must not receive bytes; whatever it is, it is unusable.
      this.socket.destroy();
      return;
    }
    owner.onUpstreamData(this, chunk);
  };

  private readonly onDrain = (): void => {
    this.owner?.onUpstreamDrain(this);
  };

  private readonly onError = (err: Error): void => {
    this.error = err;
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.connected = false;
    const owner = this.owner;
    this.owner = null;
    this.pool.closed(this);
    if (owner !== null) owner.onUpstreamClose(this, this.error);
  };

  /** Abort: the owner no longer wants this socket (client gone, timeout). */
  destroy(): void {
    this.owner = null;
    if (!this.closed) this.socket.destroy();
  }
}

export class Http1Pool implements UpstreamAttachment {
  private readonly idle: UpConn[] = [];
  /** Owners waiting at the connection cap, in arrival order (a Set: O(1) cancel, insertion-ordered). */
  private readonly waiting = new Set<UpOwner>();
  private open = 0;
  private isClosed = false;

  constructor(readonly upstream: Upstream) {}

  /** A socket for `owner`, or null when the connection cap is reached: `owner.onUpstreamAssigned` follows later. */
  acquire(owner: UpOwner): UpConn | null {
    const idle = this.idle;
    while (idle.length > 0) {
      const up = idle.pop();
      if (up === undefined || up.closed) continue;
      up.owner = owner;
      up.reused = true;
      return up;
    }
    const max = this.upstream.maxConnections;
    if (max > 0 && this.open >= max) {
      this.waiting.add(owner);
      return null;
    }
    return this.dial(owner);
  }

  /** The owner no longer wants the socket it waits for. */
  cancel(owner: UpOwner): void {
    this.waiting.delete(owner);
  }

  private dial(owner: UpOwner): UpConn {
    this.open++;
    const socket = net.connect({ host: this.upstream.host, port: this.upstream.port });
    const up = new UpConn(this, socket);
    up.owner = owner;
    return up;
  }

  private nextWaiter(): UpOwner | undefined {
    for (const w of this.waiting) {
      this.waiting.delete(w);
      return w;
    }
    return undefined;
  }

  /** Return a socket whose last response ended cleanly. */
  release(up: UpConn): void {
    up.owner = null;
    if (up.closed) return;
    const waiter = this.nextWaiter();
    if (waiter !== undefined) {
      up.owner = waiter;
      up.reused = true;
      waiter.onUpstreamAssigned(up);
      return;
    }
    if (this.isClosed || this.idle.length >= this.upstream.maxIdle) {
      up.socket.destroy();
      return;
    }
    // Left flowing while idle, so the upstream's FIN (its keep-alive timeout) is seen at once via 'close'.
    this.idle.push(up);
  }

  /** A socket closed (idle or owned): forget it, and let a waiter dial in its place. */
  closed(up: UpConn): void {
    this.open--;
    const i = this.idle.indexOf(up);
    if (i !== -1) this.idle.splice(i, 1);
    if (this.isClosed) return;
    const waiter = this.nextWaiter();
    if (waiter !== undefined) waiter.onUpstreamAssigned(this.dial(waiter));
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get openCount(): number {
    return this.open;
  }

  close(): void {
    this.isClosed = true;
    this.waiting.clear();
    for (const up of this.idle.splice(0)) up.socket.destroy();
  }
}

export function poolOf(upstream: Upstream): Http1Pool {
  let pool = upstream.attachments.get(POOL_KEY) as Http1Pool | undefined;
  if (pool === undefined) {
    pool = new Http1Pool(upstream);
    upstream.attachments.set(POOL_KEY, pool);
  }
  return pool;
}

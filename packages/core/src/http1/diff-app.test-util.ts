/**
 * The two ends of a differential run (see `diff-harness.test-util.ts`): a node:http app that records every request
 * and parse error it sees (`RecordingApp`, one straight behind the client and one behind kdp), and the TCP relay
 * between kdp and the app that records every byte kdp sends upstream (`Tap`).
 */
import http from 'node:http';
import net from 'node:net';

// ------------------------------------------------------------------------------------------ the recording app

export interface AppRequest {
  readonly conn: number;
  readonly remotePort: number;
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  body: Buffer;
  complete: boolean;
  readonly order: number;
}

export interface AppError {
  readonly conn: number;
  readonly remotePort: number;
  readonly code: string;
}

let ordinal = 0;

/** A node:http server with default parser settings that records every request and parse error it sees. */
export class RecordingApp {
  readonly server: http.Server;
  readonly requests: AppRequest[] = [];
  readonly errors: AppError[] = [];
  port = 0;
  private nextConn = 0;
  private readonly connIds = new WeakMap<net.Socket, number>();
  private readonly listeners = new Set<() => void>();
  /** Every socket, including those node:http no longer tracks (after CONNECT), so close() cannot wait on them. */
  private readonly sockets = new Set<net.Socket>();

  constructor(keepAliveTimeoutMs: number, onRequest?: (req: http.IncomingMessage, res: http.ServerResponse, rec: AppRequest) => boolean) {
    this.server = http.createServer();
    this.server.keepAliveTimeout = keepAliveTimeoutMs;
    this.server.on('connection', (s: net.Socket) => {
      this.connIds.set(s, this.nextConn++);
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const rec = this.record(req.socket, req.method ?? '', req.url ?? '', req.rawHeaders);
      if (onRequest?.(req, res, rec) === true) return;
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        rec.body = Buffer.concat(parts);
        rec.complete = true;
        this.changed();
        res.end(`${rec.method} ${rec.url} ${String(rec.body.length)}\n`);
      });
      req.on('error', () => this.changed());
    });
    // node destroys the socket of a CONNECT or Upgrade nobody listens for; record them and refuse politely.
    // Bytes after a CONNECT head are tunnel data, not a body (`head` is whatever arrived with it): not recorded.
    this.server.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
      const rec = this.record(socket, req.method ?? '', req.url ?? '', req.rawHeaders);
      rec.complete = true;
      this.changed();
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      this.errors.push({ conn: this.connIds.get(socket) ?? -1, remotePort: socket.remotePort ?? 0, code: err.code ?? String(err) });
      this.changed();
      if (socket.writable) {
        const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      } else socket.destroy();
    });
  }

  private record(socket: net.Socket, method: string, url: string, rawHeaders: string[]): AppRequest {
    const rec: AppRequest = {
      conn: this.connIds.get(socket) ?? -1,
      remotePort: socket.remotePort ?? 0,
      method,
      url,
      rawHeaders,
      body: Buffer.alloc(0),
      complete: false,
      order: ordinal++,
    };
    this.requests.push(rec);
    this.changed();
    return rec;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  reset(): void {
    this.requests.length = 0;
    this.errors.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

// ------------------------------------------------------------------------------------------ the tap

export interface TapConn {
  readonly id: number;
  /** Bytes before this offset belong to an earlier run (a pooled connection kept across runs). */
  base: number;
  /** Local port of the tap's socket to the app = the app's `remotePort` for this connection. */
  appSidePort: number;
  readonly chunks: { seq: number; data: Buffer }[];
  closed: boolean;
}

/** A TCP relay between kdp and the app recording the bytes kdp sends, per connection, in global order. */
export class Tap {
  readonly server: net.Server;
  readonly conns: TapConn[] = [];
  port = 0;
  private seq = 0;
  private nextId = 0;
  private readonly sockets = new Set<net.Socket>();

  constructor(appPort: number) {
    this.server = net.createServer({ allowHalfOpen: true }, (down) => {
      const tc: TapConn = { id: this.nextId++, base: 0, appSidePort: 0, chunks: [], closed: false };
      this.conns.push(tc);
      const up = net.connect({ host: '127.0.0.1', port: appPort, allowHalfOpen: true });
      this.sockets.add(down);
      this.sockets.add(up);
      up.setNoDelay(true);
      down.setNoDelay(true);
      up.on('connect', () => (tc.appSidePort = up.localPort ?? 0));
      down.on('data', (d: Buffer) => {
        tc.chunks.push({ seq: this.seq++, data: d });
        up.write(d);
      });
      up.on('data', (d: Buffer) => down.write(d));
      down.on('end', () => up.end());
      up.on('end', () => down.end());
      const kill = (): void => {
        tc.closed = true;
        down.destroy();
        up.destroy();
      };
      down.on('error', kill);
      up.on('error', kill);
      down.on('close', () => {
        this.sockets.delete(down);
        if (!up.destroyed) up.end();
      });
      up.on('close', () => {
        this.sockets.delete(up);
        tc.closed = true;
        if (!down.destroyed) down.destroy();
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** A new run: forget closed connections; open ones (pooled) are read from their current end on. */
  reset(): void {
    const open = this.conns.filter((c) => !c.closed);
    this.conns.length = 0;
    for (const c of open) {
      c.base = c.chunks.reduce((n, x) => n + x.data.length, 0);
      this.conns.push(c);
    }
  }

  bytes(tc: TapConn): Buffer {
    return Buffer.concat(tc.chunks.map((c) => c.data)).subarray(tc.base);
  }

  /** Global sequence number of the chunk holding byte `offset` (from `base`) of connection `tc`. */
  seqAt(tc: TapConn, offset: number): number {
    let at = -tc.base;
    for (const c of tc.chunks) {
      if (offset < at + c.data.length) return c.seq;
      at += c.data.length;
    }
    return Number.MAX_SAFE_INTEGER;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

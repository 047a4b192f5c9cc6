/**
 * A fake of Knative's autoscaler stats endpoint for tests: a websocket server on 127.0.0.1 that decodes every binary
 * message as `WireStatMessages` with stat.proto's field numbers (cmd/autoscaler/main.go `accept` does the same).
 */
import type { AddressInfo } from 'node:net';
import { decodeWireStatMessages } from '@kdp/core';
import type { Stat } from '@kdp/core';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

export interface ReceivedStat {
  readonly namespace: string;
  readonly name: string;
  readonly stat: Stat;
  /** Index of the websocket message (batch) it came in. */
  readonly batch: number;
}

export class FakeAutoscaler {
  readonly stats: ReceivedStat[] = [];
  /** Messages that were not valid WireStatMessages (text frames, bad protobuf). */
  readonly rejected: string[] = [];
  batches = 0;
  connections = 0;
  readonly #server: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #waiters: { match: (s: ReceivedStat) => boolean; resolve: (s: ReceivedStat) => void }[] = [];
  readonly #connWaiters: (() => void)[] = [];
  port = 0;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (ws) => {
      this.connections++;
      this.#sockets.add(ws);
      for (const w of this.#connWaiters.splice(0)) w();
      ws.on('close', () => this.#sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          this.rejected.push('text frame');
          return;
        }
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        let msgs;
        try {
          msgs = decodeWireStatMessages(buf);
        } catch (err) {
          this.rejected.push(err instanceof Error ? err.message : String(err));
          return;
        }
        const batch = this.batches++;
        for (const m of msgs) {
          const s: ReceivedStat = { namespace: m.namespace, name: m.name, stat: m.stat, batch };
          this.stats.push(s);
          for (let i = this.#waiters.length - 1; i >= 0; i--) {
            const w = this.#waiters[i];
            if (w !== undefined && w.match(s)) {
              this.#waiters.splice(i, 1);
              w.resolve(s);
            }
          }
        }
      });
    });
  }

  static async start(port = 0): Promise<FakeAutoscaler> {
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const fake = new FakeAutoscaler(server);
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${String(this.port)}`;
  }

  get open(): number {
    return this.#sockets.size;
  }

  /** Resolves with the first stat (already received or future) that matches. */
  waitFor(match: (s: ReceivedStat) => boolean): Promise<ReceivedStat> {
    const seen = this.stats.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Resolves when at least one client is connected. */
  waitForConnection(): Promise<void> {
    if (this.#sockets.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.#connWaiters.push(resolve));
  }

  /** Cut every client connection (the activator must reconnect). */
  dropConnections(): void {
    for (const ws of this.#sockets) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

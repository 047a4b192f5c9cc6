import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export interface WebSocketEcho {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends close 1001 (going away) to every client and terminates those still open after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** `/ws`: every message is sent back as it came (text stays text, binary stays binary). */
export function createWebSocketEcho(revision: string | undefined): WebSocketEcho {
  const wss = new WebSocketServer({ noServer: true, clientTracking: true });
  if (revision !== undefined) {
    wss.on('headers', (headers: string[]) => {
      headers.push(`X-Kdp-Revision: ${revision}`);
    });
  }
  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data, isBinary) => {
          ws.send(data, { binary: isBinary });
        });
        ws.on('error', () => ws.terminate());
      });
    },
    close(graceMs) {
      const open = [...wss.clients];
      for (const ws of open) ws.close(1001, 'server shutting down');
      const closed = open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
      const force = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, graceMs);
      return Promise.all(closed).then(() => {
        clearTimeout(force);
        wss.close();
      });
    },
  };
}

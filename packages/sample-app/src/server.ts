import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from './handler.js';
import type { WebSocketEcho } from './websocket.js';

export interface SampleAppOptions {
  /** 0 picks a free port; the chosen one is in the result. */
  readonly port: number;
  readonly host: string;
  /** Default `World`, as helloworld-go. */
  readonly target?: string;
  /** Knative's K_REVISION, echoed in `X-Kdp-Revision`. */
  readonly revision?: string;
  /** How long `close()` lets in-flight requests and websockets finish before cutting them. Default 5000 ms. */
  readonly closeGraceMs?: number;
  /** Idle keep-alive timeout (node's default, 5000 ms, unless set): proxies pooling connections meet it. */
  readonly keepAliveTimeoutMs?: number;
}

export interface SampleApp {
  readonly port: number;
  readonly host: string;
  /** Stops accepting, lets in-flight work finish (up to the grace period), resolves once every socket is closed. */
  close(): Promise<void>;
}

const DEFAULT_CLOSE_GRACE_MS = 5000;
// How often idle keep-alive connections are closed during shutdown: node closes the idle ones only when close() is
// called, not the ones that become idle afterwards.
const SHUTDOWN_SWEEP_MS = 20;

export async function startSampleApp(opts: SampleAppOptions): Promise<SampleApp> {
  const problems: string[] = [];
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    problems.push(`port must be an integer in 0..65535, got ${String(opts.port)}`);
  }
  if (typeof opts.host !== 'string' || opts.host === '') problems.push('host must be a non-empty string');
  const closeGraceMs = opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  if (!Number.isFinite(closeGraceMs) || closeGraceMs < 0) {
    problems.push(`closeGraceMs must be a non-negative number, got ${String(opts.closeGraceMs)}`);
  }
  if (opts.keepAliveTimeoutMs !== undefined && (!Number.isFinite(opts.keepAliveTimeoutMs) || opts.keepAliveTimeoutMs < 0)) {
    problems.push(`keepAliveTimeoutMs must be a non-negative number, got ${String(opts.keepAliveTimeoutMs)}`);
  }
  if (problems.length > 0) throw new RangeError(`startSampleApp: ${problems.join('; ')}`);

  const handler = createRequestHandler(
    opts.revision === undefined
      ? { target: opts.target ?? 'World' }
      : { target: opts.target ?? 'World', revision: opts.revision },
  );
  const server = createServer(handler);
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  // `ws` is loaded on the first upgrade, not at start: importing it costs ~50 ms of startup (cold-start benchmarks
  // time this app) and memory that plain HTTP never needs. Until ws reads it, the upgraded socket buffers its data.
  let ws: Promise<WebSocketEcho> | undefined;
  const loadWs = (): Promise<WebSocketEcho> =>
    (ws ??= import('./websocket.js').then((m) => m.createWebSocketEcho(opts.revision)));
  server.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    if ((qi === -1 ? url : url.slice(0, qi)) === '/ws') {
      loadWs().then(
        (echo) => echo.handleUpgrade(req, socket, head),
        () => socket.destroy(),
      );
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    host: opts.host,
    close: () => (closing ??= shutdown(server, ws, closeGraceMs)),
  };
}

async function shutdown(server: Server, ws: Promise<WebSocketEcho> | undefined, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    server.close((err) => (err === undefined ? resolve() : reject(err)));
  });
  const sweep = setInterval(() => server.closeIdleConnections(), SHUTDOWN_SWEEP_MS);
  const force = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await Promise.all([closed, ws?.then((echo) => echo.close(graceMs))]);
  } finally {
    clearInterval(sweep);
    clearTimeout(force);
  }
}

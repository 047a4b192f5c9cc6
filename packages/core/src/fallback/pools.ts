/**
 * The fallback engine's upstream connections, kept on `Upstream.attachments` under symbols private to this module,
 * so `Upstream.close()` releases them.
 *  - HTTP/1.x downstream → HTTP/1.1 upstream through a keep-alive `http.Agent` (Knative: `MaxIdleConnsPerHost =
 *    maxIdle`, `P:network/transports.go#NewProxyAutoTransport`).
 *  - HTTP/2 downstream → one h2c prior-knowledge session per upstream, reconnected after it closes or is told to
 *    go away (Knative's transport picks h2c for `ProtoMajor == 2`).
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { Upstream, UpstreamAttachment } from '../http/upstream.js';

const H1_POOL = Symbol('kdp.fallback.h1-pool');
const H2_POOL = Symbol('kdp.fallback.h2-pool');

/** HTTP/2 settings of both our server and upstream sessions: 1 MiB stream windows, like Go's server defaults. */
export const H2_SETTINGS: http2.Settings = { initialWindowSize: 1 << 20, enablePush: false };
/** Connection-level receive window (the protocol's 64 KiB default would cap every stream's throughput together). */
export const H2_CONNECTION_WINDOW = 1 << 20;

class H1Pool implements UpstreamAttachment {
  readonly agent: http.Agent;
  constructor(maxIdle: number) {
    this.agent = new http.Agent({
      keepAlive: maxIdle > 0,
      // node treats 0 as "default 256"; with keepAlive off nothing is kept anyway.
      maxFreeSockets: Math.max(maxIdle, 1),
      // LIFO keeps the fewest connections warm, as Go's idle pool does.
      scheduling: 'lifo',
      noDelay: true,
    });
  }
  close(): void {
    this.agent.destroy();
  }
}

export function h1Agent(upstream: Upstream): http.Agent {
  const found = upstream.attachments.get(H1_POOL);
  if (found instanceof H1Pool) return found.agent;
  const pool = new H1Pool(upstream.maxIdle);
  upstream.attachments.set(H1_POOL, pool);
  return pool.agent;
}

class H2Pool implements UpstreamAttachment {
  private current: http2.ClientHttp2Session | null = null;
  private readonly url: string;
  constructor(host: string, port: number) {
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    this.url = `http://${h}:${String(port)}`;
  }

  /** The live session, connecting a new one when there is none or the last one closed or got GOAWAY. */
  session(): http2.ClientHttp2Session {
    const cur = this.current;
    if (cur !== null && !cur.closed && !cur.destroyed) return cur;
    const s = http2.connect(this.url, { settings: H2_SETTINGS });
    // Errors reach the streams (as their `cause`); this listener only keeps them from being thrown.
    s.on('error', () => undefined);
    const forget = (): void => {
      if (this.current === s) this.current = null;
    };
    s.once('close', forget);
    s.once('goaway', forget);
    s.once('connect', () => s.setLocalWindowSize(H2_CONNECTION_WINDOW));
    // Idle upstream sessions must not keep the process alive; in-flight requests are kept alive by client sockets.
    s.unref();
    this.current = s;
    return s;
  }

  /** Drop the current session (e.g. it refused a new stream) so the next call reconnects. */
  reset(s: http2.ClientHttp2Session): void {
    if (this.current === s) this.current = null;
  }

  close(): void {
    const s = this.current;
    this.current = null;
    s?.close();
  }
}

export function h2Pool(upstream: Upstream): H2Pool {
  const found = upstream.attachments.get(H2_POOL);
  if (found instanceof H2Pool) return found;
  const pool = new H2Pool(upstream.host, upstream.port);
  upstream.attachments.set(H2_POOL, pool);
  return pool;
}

export type { H2Pool };

/**
 * The smallest Kubernetes API client the activator needs: GET a resource or a list, and stream a watch
 * (newline-delimited JSON `{type, object}` events over a chunked response). Reads only; no generated types.
 *
 * Why not `@kubernetes/client-node`: 2.x depends on undici 8 (`engines.node >= 22.19`, an EBADENGINE warning and
 * untested ground on the Node 20 this project supports), and 1.x brings node-fetch, openid-client, jsonpath-plus,
 * tar-fs, socks and form-data for exec, port-forward and OIDC features the activator never uses, and loads its
 * whole generated API on import. Its informer also leaves restarting a failed watch to the caller. List, get and
 * watch over node:https with a bearer token or client certificate is a few dozen lines (informer.ts adds the
 * list-then-watch discipline), tested against a fake API server that speaks the same wire protocol.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { KdpBaseError } from '@kdp/core/errors';
import type { KubeConnection } from './connection.js';

/** A non-2xx answer of the API server, with its `Status` reason when it sent one. */
export class KubeApiError extends KdpBaseError {
  readonly code = 'KDP_ERR_KUBE_API';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface WatchEvent {
  readonly type: string;
  readonly object: unknown;
}

export interface WatchHandlers {
  /** Called in order for every event line. */
  event(e: WatchEvent): void;
  /** The stream ended: `null` when the server closed it cleanly (timeoutSeconds), else why. Called once. */
  closed(err: Error | null): void;
}

export interface WatchHandle {
  /** Stop the watch; `closed` is not called afterwards. */
  abort(): void;
}

/** Longest time a GET may take; a watch has no deadline (the server ends it after `timeoutSeconds`). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Re-read a token file this often (client-go `CachedFileTokenSource` caches one minute). */
const TOKEN_TTL_MS = 60_000;
/** Largest GET body or single watch line accepted (a list of thousands of Endpoints is a few MB). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class KubeClient {
  readonly server: URL;
  readonly #conn: KubeConnection;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #readFile: (p: string) => string;
  #token: string | undefined;
  #tokenReadAt = -Infinity;

  constructor(conn: KubeConnection, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')) {
    this.#conn = conn;
    this.server = new URL(conn.server);
    this.#readFile = readFile;
    const tls = this.server.protocol === 'https:';
    this.#transport = tls ? https : http;
    this.#agent = tls
      ? new https.Agent({
          keepAlive: true,
          ...(conn.ca === undefined ? {} : { ca: conn.ca }),
          ...(conn.cert === undefined ? {} : { cert: conn.cert }),
          ...(conn.key === undefined ? {} : { key: conn.key }),
          rejectUnauthorized: !conn.insecureSkipTlsVerify,
        })
      : new http.Agent({ keepAlive: true });
  }

  /** GET `path` (with query) and parse the JSON body. Throws `KubeApiError` on a non-2xx status. */
  get(pathAndQuery: string, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const req = this.#request(pathAndQuery, signal === undefined ? timeout : AbortSignal.any([signal, timeout]), (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`response to GET ${pathAndQuery} exceeds ${String(MAX_BODY_BYTES)} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            reject(apiError(status, text, `GET ${pathAndQuery}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as unknown);
          } catch (e) {
            reject(new Error(`GET ${pathAndQuery}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`));
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Start a watch (`pathAndQuery` must carry `watch=1`). A non-200 answer arrives as `closed(KubeApiError)`;
   * a dropped connection as `closed(Error)`; the server's clean end as `closed(null)`.
   */
  watch(pathAndQuery: string, handlers: WatchHandlers): WatchHandle {
    let done = false;
    const close = (err: Error | null): void => {
      if (done) return;
      done = true;
      handlers.closed(err);
    };
    const req = this.#request(pathAndQuery, undefined, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 65_536) text += d;
        });
        res.on('end', () => close(apiError(status, text, `watch ${pathAndQuery}`)));
        res.on('error', (e) => close(e));
        return;
      }
      let partial = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        partial += d;
        let nl: number;
        while (!done && (nl = partial.indexOf('\n')) !== -1) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          if (line.trim() === '') continue;
          let e: WatchEvent;
          try {
            e = JSON.parse(line) as WatchEvent;
          } catch (err) {
            req.destroy();
            close(new Error(`watch ${pathAndQuery}: invalid event line: ${err instanceof Error ? err.message : String(err)}`));
            return;
          }
          handlers.event(e);
        }
        if (partial.length > MAX_BODY_BYTES) {
          req.destroy();
          close(new Error(`watch ${pathAndQuery}: event line exceeds ${String(MAX_BODY_BYTES)} bytes`));
        }
      });
      // `aborted`/`error` on the response mean the connection dropped mid-stream; `end` without it is a clean close.
      res.on('aborted', () => close(new Error(`watch ${pathAndQuery}: connection dropped`)));
      res.on('error', (e) => close(e));
      res.on('end', () => close(res.complete ? null : new Error(`watch ${pathAndQuery}: connection dropped`)));
    });
    req.on('error', (e) => close(e));
    req.end();
    return {
      abort(): void {
        done = true;
        req.destroy();
      },
    };
  }

  /** Close idle keep-alive sockets. Open watches must be aborted by their owners. */
  close(): void {
    this.#agent.destroy();
  }

  #request(pathAndQuery: string, signal: AbortSignal | undefined, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json', 'User-Agent': 'kdp-activator' };
    const token = this.#bearer();
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    const url = new URL(pathAndQuery, this.server);
    return this.#transport.request(url, { method: 'GET', headers, agent: this.#agent, ...(signal === undefined ? {} : { signal }) }, onResponse);
  }

  #bearer(): string | undefined {
    const conn = this.#conn;
    if (conn.tokenFile !== undefined) {
      const now = performance.now();
      if (now - this.#tokenReadAt >= TOKEN_TTL_MS) {
        try {
          this.#token = this.#readFile(conn.tokenFile).trim();
          this.#tokenReadAt = now;
        } catch {
          // Keep the last token: kubelet replaces the file atomically, a failed read is transient.
        }
      }
      return this.#token;
    }
    return conn.token;
  }
}

function apiError(status: number, body: string, what: string): KubeApiError {
  let reason = '';
  let message = body.slice(0, 512);
  try {
    const s = JSON.parse(body) as { reason?: unknown; message?: unknown };
    if (typeof s.reason === 'string') reason = s.reason;
    if (typeof s.message === 'string') message = s.message;
  } catch {
    // Not a Status object; keep the raw text.
  }
  return new KubeApiError(status, reason, `${what}: ${String(status)}${reason === '' ? '' : ` ${reason}`}: ${message}`);
}

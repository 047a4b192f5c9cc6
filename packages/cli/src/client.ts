// The CLI's side of the control API: JSON over fetch, Kubernetes `Status` errors turned into CliErrors that carry
// the server's message, and one clear message when no server is listening.

import type { KdpErrorCode } from '@kdp/core';
import { CliError } from './args.js';
import type { KubeStatus } from './api-errors.js';
import { BODY_LIMIT_BYTES } from './api-limits.js';
import { API_PREFIX, type KnativeObject, type ObjectList, type Revision, type Route, type Service } from './objects/types.js';

/** Default control API address (`kdp serve --api-port`). */
export const DEFAULT_SERVER = 'http://127.0.0.1:8081';
/** A request may wait for pods to drain (delete); anything longer means the server is stuck. */
const REQUEST_TIMEOUT_MS = 300_000;

export class ServerUnreachableError extends CliError {
  override readonly code: KdpErrorCode = 'KDP_ERR_SERVER_UNREACHABLE';
  constructor(server: string) {
    super(`cannot reach kdp server at ${server} — start it with \`npm start\``);
    this.name = 'ServerUnreachableError';
  }
}

export class BodyTooLargeError extends CliError {
  override readonly code: KdpErrorCode = 'KDP_ERR_BODY_TOO_LARGE';
  constructor(readonly size: number) {
    super(
      `the object is ${formatBytes(size)} as JSON; the kdp control API accepts at most ${formatBytes(BODY_LIMIT_BYTES)} per object. ` +
        'A Service is normally a few KiB: look for a large env value or a file pasted into it',
    );
    this.name = 'BodyTooLargeError';
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB (${String(n)} bytes)`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB (${String(n)} bytes)`;
  return `${String(n)} bytes`;
}

/** The errno code of a fetch failure (undici puts the socket error in `cause`). */
function errnoOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failure answered by the server: its Status message and HTTP code (the server's `ApiError`, as the client sees it). */
export class ApiStatusError extends CliError {
  override readonly code: KdpErrorCode = 'KDP_ERR_API';
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

type Resource = 'services' | 'revisions' | 'routes' | 'configurations';

/** Supplies the local credential (api-token.ts `readApiToken`); called once, on the first call that changes something. */
export type TokenSource = () => Promise<string | undefined>;

export class ApiClient {
  readonly server: string;
  readonly #tokenSource: TokenSource;
  #token: Promise<string | undefined> | undefined;

  constructor(server: string, tokenSource: TokenSource = () => Promise.resolve(undefined)) {
    this.server = server.replace(/\/+$/, '');
    this.#tokenSource = tokenSource;
  }

  list<T extends KnativeObject>(resource: Resource, ns: string | undefined, labelSelector?: string): Promise<ObjectList<T>> {
    const base = ns === undefined ? `${API_PREFIX}/${resource}` : `${API_PREFIX}/namespaces/${enc(ns)}/${resource}`;
    const q = labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(labelSelector)}`;
    return this.#request('GET', `${base}${q}`);
  }

  get<T extends KnativeObject>(resource: Resource, ns: string, name: string): Promise<T> {
    return this.#request('GET', `${API_PREFIX}/namespaces/${enc(ns)}/${resource}/${enc(name)}`);
  }

  /** The object, or undefined on 404. */
  async find<T extends KnativeObject>(resource: Resource, ns: string, name: string): Promise<T | undefined> {
    try {
      return await this.get<T>(resource, ns, name);
    } catch (err) {
      if (err instanceof ApiStatusError && err.httpStatus === 404) return undefined;
      throw err;
    }
  }

  createService(ns: string, body: unknown): Promise<Service> {
    return this.#request('POST', `${API_PREFIX}/namespaces/${enc(ns)}/services`, body);
  }

  replaceService(ns: string, name: string, body: unknown): Promise<Service> {
    return this.#request('PUT', `${API_PREFIX}/namespaces/${enc(ns)}/services/${enc(name)}`, body);
  }

  async delete(resource: 'services' | 'revisions', ns: string, name: string, wait: boolean): Promise<void> {
    await this.#request('DELETE', `${API_PREFIX}/namespaces/${enc(ns)}/${resource}/${enc(name)}${wait ? '' : '?wait=false'}`);
  }

  getService(ns: string, name: string): Promise<Service> {
    return this.get<Service>('services', ns, name);
  }

  getRevision(ns: string, name: string): Promise<Revision> {
    return this.get<Revision>('revisions', ns, name);
  }

  getRoute(ns: string, name: string): Promise<Route> {
    return this.get<Route>('routes', ns, name);
  }

  /** Any other path of the control API (the Eventing commands use it). */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#request(method, path, body);
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      const size = Buffer.byteLength(payload);
      // Refused here rather than by the server: a server that answers 413 early and closes while a large body is still
      // being sent makes fetch fail with a broken connection, which would say nothing about the size.
      if (size > BODY_LIMIT_BYTES) throw new BodyTooLargeError(size);
      headers['content-type'] = 'application/json';
    }
    if (method !== 'GET') {
      const token = await (this.#token ??= this.#tokenSource());
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    }
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, {
        method,
        headers,
        ...(payload !== undefined && { body: payload }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new CliError(`kdp server at ${this.server} did not answer ${method} ${path} within ${REQUEST_TIMEOUT_MS / 1000} s`);
      }
      const code = errnoOf(err);
      if (err instanceof Error && err.cause instanceof Error && err.cause.message === 'bad port') {
        throw new CliError(`port ${new URL(this.server).port} of ${this.server} is one Node.js fetch refuses to connect to (a blocked port); start kdp serve with another --api-port`);
      }
      // Only a refused connection (or an unknown name) means nobody is listening; anything else happened to a server.
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL') throw new ServerUnreachableError(this.server);
      throw new CliError(
        `the connection to kdp server at ${this.server} failed during ${method} ${path}` +
          `${payload === undefined ? '' : ` (sending ${String(Buffer.byteLength(payload))} bytes)`}: ${code ?? (err instanceof Error ? err.message : String(err))}`,
      );
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`${this.server} answered ${method} ${path} with ${res.status} and a body that is not JSON; is it a kdp server?`);
    }
    if (!res.ok) {
      const st = data as Partial<KubeStatus> | undefined;
      throw new ApiStatusError(st?.message ?? `${method} ${path}: HTTP ${res.status}`, res.status, st?.reason ?? '');
    }
    return data as T;
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

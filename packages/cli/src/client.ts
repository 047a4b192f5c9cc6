// The CLI's side of the control API: JSON over fetch, Kubernetes `Status` errors turned into CliErrors that carry
// the server's message, and one clear message when no server is listening.

import { CliError } from './args.js';
import type { KubeStatus } from './api-errors.js';
import { API_PREFIX, type KnativeObject, type ObjectList, type Revision, type Route, type Service } from './objects/types.js';

/** Default control API address (`kdp serve --api-port`). */
export const DEFAULT_SERVER = 'http://127.0.0.1:8081';
/** A request may wait for pods to drain (delete); anything longer means the server is stuck. */
const REQUEST_TIMEOUT_MS = 300_000;

export class ServerUnreachableError extends CliError {
  constructor(server: string) {
    super(`cannot reach kdp server at ${server} — start it with \`npm start\``);
    this.name = 'ServerUnreachableError';
  }
}

/** A failure answered by the server: its Status message and HTTP code. */
export class ApiStatusError extends CliError {
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

export class ApiClient {
  readonly server: string;

  constructor(server: string) {
    this.server = server.replace(/\/+$/, '');
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
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new CliError(`kdp server at ${this.server} did not answer ${method} ${path} within ${REQUEST_TIMEOUT_MS / 1000} s`);
      }
      throw new ServerUnreachableError(this.server);
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

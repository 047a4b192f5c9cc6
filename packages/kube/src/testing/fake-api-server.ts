/**
 * A fake Kubernetes API server for tests, speaking the real wire protocol over HTTP on 127.0.0.1: GET of an
 * object or a collection (cluster-wide or per namespace, with `labelSelector`), and `?watch=1` streams of
 * newline-delimited `{type, object}` events over a chunked response, starting after `resourceVersion`.
 * Knobs for the failure modes a real server has: `compact()` (older versions answer 410 Gone, as an ERROR event
 * the way the apiserver's watch cache does), `dropWatches()` (connections cut mid-stream), `forbid()` (403 for
 * a missing RBAC permission), and a bearer token it insists on.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
  };
  readonly [field: string]: unknown;
}

interface HistoryEvent {
  readonly rv: number;
  readonly collection: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: FakeObject;
}

interface OpenWatch {
  readonly collection: string;
  readonly namespace: string | null;
  readonly selector: Selector;
  readonly res: http.ServerResponse;
  readonly socket: Socket;
}

type Selector = (labels: Record<string, string> | undefined) => boolean;

export interface FakeKubeApiOptions {
  /** Requests without `Authorization: Bearer <token>` get 401. Unset: no check. */
  readonly token?: string;
}

export interface RequestRecord {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
}

export class FakeKubeApi {
  /** Collection path (`/api/v1/endpoints`, `/apis/serving.knative.dev/v1/revisions`) → key → object. */
  readonly #objects = new Map<string, Map<string, FakeObject>>();
  readonly #history: HistoryEvent[] = [];
  readonly #watches = new Set<OpenWatch>();
  readonly #forbidden = new Set<string>();
  readonly #server: http.Server;
  readonly #token: string | undefined;
  #rv = 100;
  /** Versions at or below this answer 410 Gone. */
  #compactedRv = 0;
  #uid = 0;
  readonly requests: RequestRecord[] = [];
  port = 0;

  constructor(opts: FakeKubeApiOptions = {}) {
    this.#token = opts.token;
    this.#server = http.createServer((req, res) => this.#serve(req, res));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  /** Open watch streams, optionally of one collection. */
  watchCount(collection?: string): number {
    let n = 0;
    for (const w of this.#watches) if (collection === undefined || w.collection === collection) n++;
    return n;
  }

  /** Create or replace an object in `collection`; emits ADDED or MODIFIED. Returns the stored copy. */
  apply(collection: string, obj: FakeObject): FakeObject {
    const objects = this.#collection(collection);
    const k = objKey(obj);
    const old = objects.get(k);
    const rv = ++this.#rv;
    const stored: FakeObject = {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(rv), uid: old?.metadata.uid ?? obj.metadata.uid ?? `uid-${String(++this.#uid)}` },
    };
    objects.set(k, stored);
    this.#emit({ rv, collection, type: old === undefined ? 'ADDED' : 'MODIFIED', object: stored });
    return stored;
  }

  /** Delete; emits DELETED. */
  delete(collection: string, namespace: string, name: string): boolean {
    const objects = this.#collection(collection);
    const k = namespace === '' ? name : `${namespace}/${name}`;
    const old = objects.get(k);
    if (old === undefined) return false;
    objects.delete(k);
    const rv = ++this.#rv;
    this.#emit({ rv, collection, type: 'DELETED', object: { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } } });
    return true;
  }

  get(collection: string, namespace: string, name: string): FakeObject | undefined {
    return this.#collection(collection).get(namespace === '' ? name : `${namespace}/${name}`);
  }

  /** Forget history up to now: a watch resuming from an older version gets 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history.length = 0;
  }

  /** Cut every open watch connection (no clean end of stream), as a network failure or apiserver restart does. */
  dropWatches(): void {
    for (const w of [...this.#watches]) {
      this.#watches.delete(w);
      w.socket.destroy();
    }
  }

  /** End every open watch cleanly, as the server does when `timeoutSeconds` passes. */
  endWatches(): void {
    for (const w of [...this.#watches]) {
      this.#watches.delete(w);
      w.res.end();
    }
  }

  /** Answer 403 Forbidden for the collection (list, get and watch), as RBAC does for a missing permission. */
  forbid(collection: string): void {
    this.#forbidden.add(collection);
  }

  allow(collection: string): void {
    this.#forbidden.delete(collection);
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #collection(collection: string): Map<string, FakeObject> {
    let m = this.#objects.get(collection);
    if (m === undefined) {
      m = new Map();
      this.#objects.set(collection, m);
    }
    return m;
  }

  #emit(e: HistoryEvent): void {
    this.#history.push(e);
    for (const w of this.#watches) {
      if (matches(w, e)) w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
  }

  #serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    if (this.#token !== undefined && req.headers.authorization !== `Bearer ${this.#token}`) {
      status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const route = parsePath(url.pathname);
    if (req.method !== 'GET' || route === null) {
      status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      return;
    }
    const { collection, namespace, name, resource } = route;
    if (this.#forbidden.has(collection)) {
      const verb = url.searchParams.get('watch') === '1' ? 'watch' : name === null ? 'list' : 'get';
      status(res, 403, 'Forbidden', `${resource} is forbidden: User "system:serviceaccount:knative-serving:activator" cannot ${verb} resource "${resource}"`);
      return;
    }
    const objects = this.#collection(collection);
    if (name !== null) {
      const obj = objects.get(namespace === null ? name : `${namespace}/${name}`);
      if (obj === undefined) status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      else json(res, 200, obj);
      return;
    }
    const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    if (selector === null) {
      status(res, 400, 'BadRequest', 'unable to parse requirement');
      return;
    }
    if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') {
      this.#watch(req, res, collection, namespace, selector, url.searchParams.get('resourceVersion') ?? '');
      return;
    }
    const items = [...objects.values()].filter((o) => (namespace === null || o.metadata.namespace === namespace) && selector(o.metadata.labels));
    json(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) }, items });
  }

  #watch(req: http.IncomingMessage, res: http.ServerResponse, collection: string, namespace: string | null, selector: Selector, rvText: string): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: OpenWatch = { collection, namespace, selector, res, socket: req.socket };
    const from = rvText === '' || rvText === '0' ? this.#rv : Number(rvText);
    if (!Number.isInteger(from) || from < this.#compactedRv) {
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${rvText} (${String(this.#compactedRv)})` },
        })}\n`,
      );
      return;
    }
    for (const e of this.#history) {
      if (e.rv > from && matches(w, e)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    this.#watches.add(w);
    const gone = (): void => {
      this.#watches.delete(w);
    };
    res.on('close', gone);
    req.on('close', gone);
  }
}

function matches(w: OpenWatch, e: HistoryEvent): boolean {
  return e.collection === w.collection && (w.namespace === null || e.object.metadata.namespace === w.namespace) && w.selector(e.object.metadata.labels);
}

function objKey(obj: FakeObject): string {
  const ns = obj.metadata.namespace ?? '';
  return ns === '' ? obj.metadata.name : `${ns}/${obj.metadata.name}`;
}

/** `/api/v1[/namespaces/ns]/res[/name]` or `/apis/g/v[/namespaces/ns]/res[/name]`. */
function parsePath(p: string): { collection: string; namespace: string | null; name: string | null; resource: string } | null {
  const parts = p.split('/').filter((s) => s !== '');
  let prefix: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    prefix = `/api/${parts[1] ?? ''}`;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    prefix = `/apis/${parts[1] ?? ''}/${parts[2] ?? ''}`;
    rest = parts.slice(3);
  } else return null;
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  const resource = rest[0];
  if (resource === undefined || rest.length > 2) return null;
  return { collection: `${prefix}/${resource}`, namespace, name: rest[1] ?? null, resource };
}

/** Equality-based selectors: `k`, `!k`, `k=v`, `k==v`, `k!=v`, comma-separated (all must hold). */
export function parseSelector(text: string): Selector | null {
  const terms: ((l: Record<string, string>) => boolean)[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    let m: RegExpMatchArray | null;
    if ((m = /^([\w./-]+)\s*!=\s*([\w.-]*)$/.exec(t)) !== null) {
      const [, k = '', v = ''] = m;
      terms.push((l) => l[k] !== v);
    } else if ((m = /^([\w./-]+)\s*==?\s*([\w.-]*)$/.exec(t)) !== null) {
      const [, k = '', v = ''] = m;
      terms.push((l) => l[k] === v);
    } else if ((m = /^!([\w./-]+)$/.exec(t)) !== null) {
      const k = m[1] ?? '';
      terms.push((l) => !(k in l));
    } else if ((m = /^([\w./-]+)$/.exec(t)) !== null) {
      const k = m[1] ?? '';
      terms.push((l) => k in l);
    } else return null;
  }
  return (labels) => terms.every((f) => f(labels ?? {}));
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function status(res: http.ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

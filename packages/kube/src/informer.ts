/**
 * List-then-watch with a local store, as client-go's reflector + informer (k8s.io/client-go/tools/cache): list to
 * get every object and a resourceVersion, watch from that version, apply ADDED/MODIFIED/DELETED/BOOKMARK events.
 *  - a watch the server ends cleanly (its `timeoutSeconds`) is re-opened at once from the last version seen;
 *  - a dropped connection or an error re-opens it from the last version after a backoff;
 *  - `410 Gone` (as a status or as an ERROR event: the version was compacted away) re-lists; the re-list is diffed
 *    against the store, so an object deleted or changed while no watch was open still produces its
 *    `deleted`/`updated` call: no update is lost across a reconnect;
 *  - a failed list (403 for a missing permission, 5xx, no connection) is retried with the same backoff and reported
 *    through `onError`, never thrown.
 * Handlers run synchronously in event order.
 */
import type { KdpLogger } from '@kdp/core';
import { KubeApiError } from './client.js';
import type { KubeClient, WatchEvent, WatchHandle } from './client.js';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly metadata: ObjectMeta;
}

export interface InformerHandlers<T extends KubeObject> {
  added(obj: T): void;
  updated(obj: T, old: T): void;
  deleted(obj: T): void;
}

/** The levels an informer logs at, of core's one narrow logger. */
export type InformerLogger = Pick<KdpLogger, 'debug' | 'info' | 'warn'>;

export interface InformerOptions<T extends KubeObject> {
  readonly client: KubeClient;
  /** Collection path, e.g. `/apis/serving.knative.dev/v1/revisions` or `/api/v1/namespaces/ns/configmaps`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly handlers: InformerHandlers<T>;
  readonly logger: InformerLogger;
  /** Called on every failed list or watch, before the retry. */
  readonly onError?: (err: Error) => void;
  /** First retry delay; doubles up to `maxBackoffMs`. client-go's reflector starts at 800 ms, max 30 s. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Server-side watch length; client-go picks 5-10 min at random. */
  readonly watchTimeoutSeconds?: number;
}

export type InformerState = 'idle' | 'listing' | 'watching' | 'backoff' | 'stopped';

export class Informer<T extends KubeObject> {
  readonly path: string;
  readonly #opts: InformerOptions<T>;
  readonly #store = new Map<string, T>();
  #resourceVersion = '';
  #watch: WatchHandle | null = null;
  #timer: NodeJS.Timeout | null = null;
  #backoffMs: number;
  #state: InformerState = 'idle';
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #listAbort: AbortController | null = null;
  /** Counters for tests and logs. */
  lists = 0;
  watches = 0;

  constructor(opts: InformerOptions<T>) {
    this.#opts = opts;
    this.path = opts.path;
    this.#backoffMs = opts.initialBackoffMs ?? 800;
  }

  get state(): InformerState {
    return this.#state;
  }

  get synced(): boolean {
    return this.#synced;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Begin; resolves when the first list has been applied (or never, if listing keeps failing). */
  start(): Promise<void> {
    if (this.#state === 'idle') this.#list();
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  get(namespace: string, name: string): T | undefined {
    return this.#store.get(key(namespace, name));
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  /** Apply an object fetched out of band (a GET for an object the watch has not delivered yet). */
  observe(obj: T): void {
    const k = keyOf(obj);
    const old = this.#store.get(k);
    if (old !== undefined && compareRv(obj.metadata.resourceVersion, old.metadata.resourceVersion) <= 0) return;
    this.#store.set(k, obj);
    if (old === undefined) this.#opts.handlers.added(obj);
    else this.#opts.handlers.updated(obj, old);
  }

  stop(): void {
    this.#state = 'stopped';
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#watch?.abort();
    this.#watch = null;
    this.#listAbort?.abort();
    this.#listAbort = null;
  }

  /** Whether a watch stream is open now. */
  get watching(): boolean {
    return this.#watch !== null;
  }

  #query(extra: string): string {
    const q = new URLSearchParams();
    if (this.#opts.labelSelector !== undefined) q.set('labelSelector', this.#opts.labelSelector);
    if (this.#opts.fieldSelector !== undefined) q.set('fieldSelector', this.#opts.fieldSelector);
    const s = q.toString();
    return `${this.path}?${s}${s === '' ? '' : '&'}${extra}`;
  }

  #list(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'listing';
    this.lists++;
    const abort = new AbortController();
    this.#listAbort = abort;
    // resourceVersion=0 would let the server answer from its watch cache (possibly stale); an empty one is a quorum
    // read, which is what a re-list after 410 needs.
    this.#opts.client.get(this.#query(''), abort.signal).then(
      (body) => {
        if (this.#listAbort !== abort) return;
        this.#listAbort = null;
        this.#applyList(body);
      },
      (err: unknown) => {
        if (this.#listAbort !== abort) return;
        this.#listAbort = null;
        this.#failed(err instanceof Error ? err : new Error(String(err)), () => this.#list());
      },
    );
  }

  #applyList(body: unknown): void {
    if (this.#state === 'stopped') return;
    const list = body as { metadata?: { resourceVersion?: unknown }; items?: unknown };
    const rv = list.metadata?.resourceVersion;
    if (typeof rv !== 'string' || !Array.isArray(list.items)) {
      this.#failed(new Error(`list ${this.path}: not a list (no metadata.resourceVersion or items)`), () => this.#list());
      return;
    }
    const handlers = this.#opts.handlers;
    const seen = new Set<string>();
    for (const item of list.items as T[]) {
      if (!isKubeObject(item)) continue;
      const k = keyOf(item);
      seen.add(k);
      const old = this.#store.get(k);
      this.#store.set(k, item);
      if (old === undefined) handlers.added(item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) handlers.updated(item, old);
    }
    for (const [k, old] of this.#store) {
      if (seen.has(k)) continue;
      this.#store.delete(k);
      handlers.deleted(old);
    }
    this.#resourceVersion = rv;
    this.#opts.logger.debug({ path: this.path, items: list.items.length, resourceVersion: rv }, 'listed');
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
    this.#startWatch();
  }

  #startWatch(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'watching';
    this.watches++;
    const timeout = this.#opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const q = this.#query(
      `watch=1&allowWatchBookmarks=true&timeoutSeconds=${String(timeout)}&resourceVersion=${encodeURIComponent(this.#resourceVersion)}`,
    );
    let gone = false;
    let delivered = false;
    const handle = this.#opts.client.watch(q, {
      event: (e) => {
        if (this.#watch !== handle || gone) return;
        if (this.#onEvent(e)) {
          delivered = true;
          return;
        }
        // 410 as an ERROR event: stop reading and re-list.
        gone = true;
        handle.abort();
        this.#watch = null;
        this.#opts.logger.info({ path: this.path, resourceVersion: this.#resourceVersion }, 'watch expired (410 Gone); re-listing');
        this.#list();
      },
      closed: (err) => {
        if (this.#watch !== handle) return;
        this.#watch = null;
        if (delivered) this.#backoffMs = this.#opts.initialBackoffMs ?? 800;
        if (err === null) {
          this.#startWatch();
          return;
        }
        if (err instanceof KubeApiError && err.status === 410) {
          this.#opts.logger.info({ path: this.path }, 'watch expired (410 Gone); re-listing');
          this.#list();
          return;
        }
        this.#failed(err, () => this.#startWatch());
      },
    });
    this.#watch = handle;
  }

  /** Apply one event; false when the watch must be abandoned for a re-list (410). */
  #onEvent(e: WatchEvent): boolean {
    const handlers = this.#opts.handlers;
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = e.object as T;
        if (!isKubeObject(obj)) return true;
        const k = keyOf(obj);
        const old = this.#store.get(k);
        this.#advance(obj.metadata.resourceVersion);
        // Already seen through `observe` (a lookup raced the watch): nothing changed.
        if (old !== undefined && old.metadata.resourceVersion === obj.metadata.resourceVersion) return true;
        this.#store.set(k, obj);
        if (old === undefined) handlers.added(obj);
        else handlers.updated(obj, old);
        return true;
      }
      case 'DELETED': {
        const obj = e.object as T;
        if (!isKubeObject(obj)) return true;
        const k = keyOf(obj);
        const old = this.#store.get(k);
        this.#store.delete(k);
        this.#advance(obj.metadata.resourceVersion);
        if (old !== undefined) handlers.deleted(obj);
        return true;
      }
      case 'BOOKMARK': {
        const obj = e.object as { metadata?: { resourceVersion?: unknown } };
        const rv = obj.metadata?.resourceVersion;
        if (typeof rv === 'string') this.#advance(rv);
        return true;
      }
      case 'ERROR': {
        const status = e.object as { code?: unknown };
        if (status.code === 410) return false;
        this.#opts.logger.warn({ path: this.path, status: e.object }, 'watch error event');
        return true;
      }
      default:
        return true;
    }
  }

  #advance(rv: string | undefined): void {
    if (rv !== undefined && rv !== '') this.#resourceVersion = rv;
  }

  #failed(err: Error, retry: () => void): void {
    if (this.#state === 'stopped') return;
    this.#state = 'backoff';
    this.#opts.onError?.(err);
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#opts.maxBackoffMs ?? 30_000);
    this.#opts.logger.warn({ path: this.path, err: err.message, retryInMs: delay }, 'list/watch failed; retrying');
    const jittered = delay * (1 + Math.random() * 0.1);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      retry();
    }, jittered);
    this.#timer.unref();
  }
}

function key(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

function keyOf(obj: KubeObject): string {
  return key(obj.metadata.namespace ?? '', obj.metadata.name);
}

function isKubeObject(v: unknown): v is KubeObject {
  if (typeof v !== 'object' || v === null) return false;
  const m = (v as { metadata?: unknown }).metadata;
  return typeof m === 'object' && m !== null && typeof (m as { name?: unknown }).name === 'string';
}

/**
 * Resource versions are opaque strings; etcd-backed servers use increasing integers, so compare numerically when
 * both are, and treat anything else as newer (never drop an update on a guess).
 */
function compareRv(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined || !/^[0-9]+$/.test(a) || !/^[0-9]+$/.test(b)) return 1;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x > y ? 1 : -1;
}

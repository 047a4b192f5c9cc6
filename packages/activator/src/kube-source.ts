/**
 * The activator's Kubernetes source of truth: informers feed the same `Revisions` table the local platform feeds.
 *  - Revisions (serving.knative.dev/v1, all namespaces): `upsert`/`remove` with containerConcurrency and timeouts
 *    (Knative `Throttler.revisionUpdated`/`revisionDeleted`). Deleting a revision answers its buffered requests 404.
 *  - Private endpoints of each revision (label `networking.internal.knative.dev/serviceType=Private`, port `http`):
 *    every address is handed to `RevisionBackends` as a pod to probe, as Knative's revision watcher probes ready
 *    and not-ready addresses alike (probe optimisation); an address that disappears leaves load balancing in the
 *    same event; one that turns not-ready is probed afresh (Knative `becameNonReady`).
 *  - Public endpoints (`serviceType=Public`): this activator's slot among the activators the SKS chose
 *    (subsetting.ts); for containerConcurrency > 0 only its slice of the ready pods is handed on.
 * Endpoints come from discovery.k8s.io/v1 EndpointSlices when the API server serves them and RBAC allows them,
 * else from v1 Endpoints, which is what Knative's own activator watches (and all its ClusterRole grants).
 */
import type { KdpLogger } from '@kdp/core';
import { Informer, KubeApiError } from '@kdp/kube';
import type { KubeClient, KubeObject } from '@kdp/kube';
import { EMPTY_VIEW, endpointsView, slicesView } from './endpoints-view.js';
import type { EndpointSliceObject, EndpointsObject, EndpointsView } from './endpoints-view.js';
import { splitHostPort } from './revision-table.js';
import type { RevisionSpec, Revisions } from './revisions.js';
import { revisionKey } from './revisions.js';
import { ALL_PODS, assignSlice, inferSlot } from './subsetting.js';
import type { ActivatorSlot } from './subsetting.js';

/** networking.internal.knative.dev labels and port name (knative/networking pkg/apis/networking). */
export const SERVICE_TYPE_LABEL = 'networking.internal.knative.dev/serviceType';
/** serving.knative.dev/revision: the revision a private/public service belongs to. */
export const REVISION_LABEL = 'serving.knative.dev/revision';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const REVISIONS_PATH = '/apis/serving.knative.dev/v1/revisions';
const ENDPOINTS_PATH = '/api/v1/endpoints';
const SLICES_PATH = '/apis/discovery.k8s.io/v1/endpointslices';

export interface RevisionObject extends KubeObject {
  readonly spec?: {
    readonly containerConcurrency?: number;
    readonly timeoutSeconds?: number;
    readonly responseStartTimeoutSeconds?: number;
    readonly idleTimeoutSeconds?: number;
  };
}

type Fed = 'ready' | 'not-ready';

class RevisionPods {
  view: EndpointsView = EMPTY_VIEW;
  slot: ActivatorSlot = ALL_PODS;
  /** Addresses handed to the backends, and what Kubernetes said of them then. */
  readonly fed = new Map<string, Fed>();
}

export type EndpointsApi = 'EndpointSlices' | 'Endpoints';

export interface KubernetesSourceOptions {
  readonly client: KubeClient;
  readonly revisions: Revisions;
  readonly logger: KdpLogger;
  /** POD_IP: this activator's address in public endpoints. */
  readonly podIp: string;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Force one endpoints API (tests); default: EndpointSlices if listable, else Endpoints. */
  readonly endpointsApi?: EndpointsApi;
}

export class KubernetesSource {
  readonly #opts: KubernetesSourceOptions;
  readonly #client: KubeClient;
  readonly #revisions: Revisions;
  readonly #logger: KdpLogger;
  readonly #pods = new Map<string, RevisionPods>();
  /** EndpointSlices of each `namespace/service`, merged into one view. */
  readonly #slices = new Map<string, Map<string, EndpointSliceObject>>();
  readonly #lookups = new Map<string, Promise<boolean>>();
  readonly revisionInformer: Informer<RevisionObject>;
  endpointsInformer: Informer<EndpointSliceObject> | Informer<EndpointsObject> | null = null;
  endpointsApi: EndpointsApi | null = null;
  #closed = false;

  constructor(opts: KubernetesSourceOptions) {
    this.#opts = opts;
    this.#client = opts.client;
    this.#revisions = opts.revisions;
    this.#logger = opts.logger;
    this.revisionInformer = new Informer<RevisionObject>({
      ...this.#informerBase(),
      path: REVISIONS_PATH,
      handlers: {
        added: (r) => this.#revisionUpserted(r),
        updated: (r) => this.#revisionUpserted(r),
        deleted: (r) => this.#revisionDeleted(r),
      },
    });
  }

  /** Both informers have listed once. */
  get synced(): boolean {
    return this.revisionInformer.synced && this.endpointsInformer?.synced === true;
  }

  /** Start watching; resolves when revisions and endpoints have both been listed. */
  async start(): Promise<void> {
    const api = this.#opts.endpointsApi ?? (await this.#pickEndpointsApi());
    if (this.#closed) return;
    this.endpointsApi = api;
    const informer =
      api === 'EndpointSlices'
        ? new Informer<EndpointSliceObject>({
            ...this.#informerBase(),
            path: SLICES_PATH,
            labelSelector: SERVICE_TYPE_LABEL,
            handlers: {
              added: (s) => this.#sliceChanged(s, false),
              updated: (s) => this.#sliceChanged(s, false),
              deleted: (s) => this.#sliceChanged(s, true),
            },
          })
        : new Informer<EndpointsObject>({
            ...this.#informerBase(),
            path: ENDPOINTS_PATH,
            labelSelector: SERVICE_TYPE_LABEL,
            handlers: {
              added: (e) => this.#endpointsChanged(e, endpointsView(e)),
              updated: (e) => this.#endpointsChanged(e, endpointsView(e)),
              deleted: (e) => this.#endpointsChanged(e, EMPTY_VIEW),
            },
          });
    this.endpointsInformer = informer;
    this.#logger.info({ endpointsApi: api }, 'watching revisions and endpoints');
    await Promise.all([this.revisionInformer.start(), informer.start()]);
  }

  /**
   * A request named a revision the informer has not delivered (yet): GET it, as the informer would have. Resolves
   * true if it exists now. Concurrent lookups of one revision share one GET. Rejects on an API error other than 404.
   */
  lookup(namespace: string, name: string): Promise<boolean> {
    const key = revisionKey(namespace, name);
    if (this.#revisions.get(key) !== undefined) return Promise.resolve(true);
    let p = this.#lookups.get(key);
    if (p === undefined) {
      const path = `/apis/serving.knative.dev/v1/namespaces/${encodeURIComponent(namespace)}/revisions/${encodeURIComponent(name)}`;
      p = this.#client.get(path).then(
        (obj) => {
          this.#lookups.delete(key);
          if (!this.#closed) this.revisionInformer.observe(obj as RevisionObject);
          return this.#revisions.get(key) !== undefined;
        },
        (err: unknown) => {
          this.#lookups.delete(key);
          if (err instanceof KubeApiError && err.status === 404) return false;
          throw err;
        },
      );
      this.#lookups.set(key, p);
    }
    return p;
  }

  close(): void {
    this.#closed = true;
    this.revisionInformer.stop();
    this.endpointsInformer?.stop();
    this.#client.close();
  }

  #informerBase(): { client: KubeClient; logger: KdpLogger; initialBackoffMs?: number; maxBackoffMs?: number } {
    return {
      client: this.#client,
      logger: this.#logger,
      ...(this.#opts.initialBackoffMs === undefined ? {} : { initialBackoffMs: this.#opts.initialBackoffMs }),
      ...(this.#opts.maxBackoffMs === undefined ? {} : { maxBackoffMs: this.#opts.maxBackoffMs }),
    };
  }

  /** EndpointSlices when a one-item list works; Endpoints on 403 (Knative's RBAC) or 404 (no discovery API). */
  async #pickEndpointsApi(): Promise<EndpointsApi> {
    for (let delay = this.#opts.initialBackoffMs ?? 800; !this.#closed; delay = Math.min(delay * 2, this.#opts.maxBackoffMs ?? 30_000)) {
      try {
        await this.#client.get(`${SLICES_PATH}?limit=1&labelSelector=${encodeURIComponent(SERVICE_TYPE_LABEL)}`);
        return 'EndpointSlices';
      } catch (err) {
        if (err instanceof KubeApiError && (err.status === 403 || err.status === 404)) {
          this.#logger.info({ status: err.status }, 'EndpointSlices not readable; watching Endpoints');
          return 'Endpoints';
        }
        this.#logger.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'cannot reach the Kubernetes API; retrying');
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    return 'Endpoints';
  }

  #revisionUpserted(r: RevisionObject): void {
    const ns = r.metadata.namespace ?? '';
    const spec = r.spec ?? {};
    const rs: RevisionSpec = {
      namespace: ns,
      name: r.metadata.name,
      containerConcurrency: spec.containerConcurrency ?? 0,
      ...(spec.timeoutSeconds === undefined ? {} : { timeoutSeconds: spec.timeoutSeconds }),
      ...(spec.responseStartTimeoutSeconds === undefined ? {} : { responseStartTimeoutSeconds: spec.responseStartTimeoutSeconds }),
      ...(spec.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: spec.idleTimeoutSeconds }),
    };
    const key = revisionKey(ns, r.metadata.name);
    const existed = this.#revisions.get(key) !== undefined;
    try {
      this.#revisions.upsert(rs);
    } catch (err) {
      // Revisions are immutable in Knative; a changed containerConcurrency or a bad field is logged, not fatal.
      this.#logger.error({ revision: key, err: err instanceof Error ? err.message : String(err) }, 'revision rejected');
      return;
    }
    // containerConcurrency decides whether subsetting slices the pods.
    if (!existed) this.#reconcile(key);
  }

  #revisionDeleted(r: RevisionObject): void {
    this.#revisions.remove(revisionKey(r.metadata.namespace ?? '', r.metadata.name));
  }

  #endpointsChanged(obj: KubeObject, view: EndpointsView): void {
    const labels = obj.metadata.labels ?? {};
    const revision = labels[REVISION_LABEL];
    if (revision === undefined || revision === '') return;
    const key = revisionKey(obj.metadata.namespace ?? '', revision);
    switch (labels[SERVICE_TYPE_LABEL]) {
      case 'Private': {
        this.#state(key).view = view;
        this.#reconcile(key);
        return;
      }
      case 'Public': {
        // throttler.go handlePubEpsUpdate: nothing changes unless this activator is listed.
        const slot = inferSlot(view.readyIps, this.#opts.podIp);
        if (slot.index === -1) return;
        const st = this.#state(key);
        if (st.slot.index === slot.index && st.slot.count === slot.count) return;
        st.slot = slot;
        this.#logger.debug({ revision: key, activatorIndex: slot.index, activators: slot.count }, 'activator subset changed');
        this.#reconcile(key);
        return;
      }
      default:
        return;
    }
  }

  #sliceChanged(slice: EndpointSliceObject, deleted: boolean): void {
    const ns = slice.metadata.namespace ?? '';
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? slice.metadata.name;
    const skey = `${ns}/${service}`;
    let slices = this.#slices.get(skey);
    if (slices === undefined) {
      slices = new Map();
      this.#slices.set(skey, slices);
    }
    if (deleted) slices.delete(slice.metadata.name);
    else slices.set(slice.metadata.name, slice);
    if (slices.size === 0) this.#slices.delete(skey);
    this.#endpointsChanged(slice, slices.size === 0 ? EMPTY_VIEW : slicesView(slices.values()));
  }

  #state(key: string): RevisionPods {
    let st = this.#pods.get(key);
    if (st === undefined) {
      st = new RevisionPods();
      this.#pods.set(key, st);
    }
    return st;
  }

  /** Hand the backends exactly the pods this activator should use now. */
  #reconcile(key: string): void {
    const st = this.#pods.get(key);
    if (st === undefined) return;
    const { view, slot } = st;
    const cc = this.#revisions.get(key)?.containerConcurrency ?? 0;
    const desired = new Map<string, Fed>();
    if (cc > 0 && slot.index >= 0 && slot.count > 1) {
      // Sliced over Kubernetes-ready pods (Knative slices its probed-healthy pods; a not-ready pod in a slice would
      // leave this activator with no capacity while others have some).
      for (const a of assignSlice([...view.ready].sort(), slot)) desired.set(a, 'ready');
    } else {
      for (const a of view.ready) desired.set(a, 'ready');
      for (const a of view.notReady) if (!desired.has(a)) desired.set(a, 'not-ready');
    }
    const backends = this.#revisions.backends;
    for (const addr of [...st.fed.keys()]) {
      if (desired.has(addr)) continue;
      st.fed.delete(addr);
      backends.podStopped(key, addr);
    }
    for (const [addr, now] of desired) {
      const before = st.fed.get(addr);
      st.fed.set(addr, now);
      if (before === now) continue;
      const hp = splitHostPort(addr);
      if (hp === null) continue;
      if (before === undefined) {
        backends.podStarted(key, addr, hp.host, hp.port);
      } else if (now === 'not-ready') {
        // Knative re-probes a pod that became not-ready: it stays in rotation only if its queue-proxy still answers.
        backends.podStarted(key, addr, hp.host, hp.port);
      } else if (backends.status(key).find((p) => p.podId === addr)?.phase === 'failed') {
        // Probing had given up on it; Kubernetes now says it is ready.
        backends.podStarted(key, addr, hp.host, hp.port);
      }
    }
    if (desired.size === 0 && st.slot === ALL_PODS && view === EMPTY_VIEW) this.#pods.delete(key);
  }
}

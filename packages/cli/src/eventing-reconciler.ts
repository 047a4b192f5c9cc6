// Brokers, Triggers and PingSources of the local platform: kept in `<data dir>/eventing-objects.json` (atomic
// writes, as state.json), validated on write, their status conditions computed from what exists now (a Trigger is
// not Ready while its Broker or its subscriber is missing, with the reason), and turned into the data plane's
// model (`Eventing.configure`) on every change and on a one-second resync, since a Trigger's readiness follows
// Services created and deleted through the other reconciler.

import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { KdpLogger } from '@kdp/core';
import { resolveTarget, retryPolicyOf, triggerPredicate, type EventingModel, type PingModel, type TriggerConfig } from '@kdp/eventing';
import { ApiError } from './api-errors.js';
import { setCondition, summarise, type ConditionInput } from './objects/conditions.js';
import { decodeBroker, decodePingSource, decodeTrigger, type Decoded } from './objects/eventing-input.js';
import {
  BROKER_CLASS,
  BROKER_CLASS_ANNOTATION,
  EVENTING_RESOURCES,
  MAX_IN_FLIGHT_ANNOTATION,
  type Broker,
  type Destination,
  type EventingKind,
  type EventingObject,
  type PingSource,
  type Trigger,
} from './objects/eventing-types.js';
import type { Revision, Service } from './objects/types.js';

export const EVENTING_STATE_FILE = 'eventing-objects.json';
const FORMAT = 'kdp.dev/eventing-state';
/** Host of the broker ingress under the router's domain: Knative's `broker-ingress.knative-eventing` service. */
export const INGRESS_HOST_PREFIX = 'broker-ingress.knative-eventing';
/** In-flight deliveries per Trigger when the sink gives no containerConcurrency to derive it from. */
export const DEFAULT_MAX_IN_FLIGHT = 100;
/** Re-reads Services (a Trigger's subscriber may appear or go) this often. */
const RESYNC_MS = 1000;

/** What the reconciler needs of the rest of the platform. */
export interface EventingHost {
  readonly services: ReadonlyMap<string, Service>;
  readonly revisions: ReadonlyMap<string, Revision>;
  /** Ready pods of a revision (`ns/name`) now. */
  readyPods(revKey: string): number;
  /** `http://127.0.0.1:8080`-style router URL and the domain of route hosts. */
  readonly routerPort: number;
  readonly domain: string;
  /** The data plane. */
  configure(m: EventingModel): void;
}

type Sink = { kind: 'url'; url: string } | { kind: 'broker'; key: string; url: string } | { kind: 'service'; key: string; url: string };
type Resolved = { ok: true; sink: Sink } | { ok: false; reason: string; message: string };

type Maps = { [K in EventingKind]: Map<string, Extract<EventingObject, { kind: K }>> };

export class EventingReconciler {
  readonly #file: string;
  readonly #host: EventingHost;
  readonly #log: KdpLogger;
  readonly #objects: Maps = { Broker: new Map(), Trigger: new Map(), PingSource: new Map() };
  #resourceVersion = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastModel = '';
  #chain: Promise<void> = Promise.resolve();

  private constructor(dataDir: string, host: EventingHost, log: KdpLogger) {
    this.#file = dataDir === '' ? '' : path.join(dataDir, EVENTING_STATE_FILE);
    this.#host = host;
    this.#log = log;
  }

  static async open(dataDir: string, host: EventingHost, log: KdpLogger): Promise<EventingReconciler> {
    const r = new EventingReconciler(dataDir, host, log);
    if (dataDir === '') return r;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    let text: string | undefined;
    try {
      text = await readFile(r.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      const data = JSON.parse(text) as { kind?: string; resourceVersion?: number; objects?: EventingObject[] };
      if (data.kind !== FORMAT) throw new Error(`${r.#file} is not a kdp eventing state file; move it away to start empty`);
      r.#resourceVersion = data.resourceVersion ?? 0;
      for (const o of data.objects ?? []) (r.#objects[o.kind] as Map<string, EventingObject>).set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    }
    return r;
  }

  start(): void {
    this.#push();
    this.#timer = setInterval(() => this.#push(), RESYNC_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** Resolves once every requested write is on disk. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  get ingressBase(): string {
    return `http://${INGRESS_HOST_PREFIX}.${this.#host.domain}:${String(this.#host.routerPort)}`;
  }

  // ---- reads ---------------------------------------------------------------------------------------------------

  list<K extends EventingKind>(kind: K, ns: string | undefined): Extract<EventingObject, { kind: K }>[] {
    const out: Extract<EventingObject, { kind: K }>[] = [];
    for (const o of this.#objects[kind].values() as IterableIterator<Extract<EventingObject, { kind: K }>>) {
      if (ns === undefined || o.metadata.namespace === ns) out.push(this.#withStatus(o));
    }
    return out.sort((a, b) => (a.metadata.namespace + a.metadata.name < b.metadata.namespace + b.metadata.name ? -1 : 1));
  }

  get<K extends EventingKind>(kind: K, ns: string, name: string): Extract<EventingObject, { kind: K }> {
    const o = this.#objects[kind].get(`${ns}/${name}`) as Extract<EventingObject, { kind: K }> | undefined;
    if (o === undefined) throw notFound(kind, name);
    return this.#withStatus(o);
  }

  has(kind: EventingKind, ns: string, name: string): boolean {
    return this.#objects[kind].has(`${ns}/${name}`);
  }

  // ---- writes --------------------------------------------------------------------------------------------------

  async create(kind: EventingKind, ns: string, body: unknown): Promise<EventingObject> {
    const d = decode(kind, body, ns);
    const k = `${ns}/${d.meta.name}`;
    if (this.#objects[kind].has(k)) {
      const r = EVENTING_RESOURCES[kind];
      throw new ApiError(409, 'AlreadyExists', `${r.plural}.${r.group} ${JSON.stringify(d.meta.name)} already exists`, { name: d.meta.name, group: r.group, kind: r.plural });
    }
    const now = new Date().toISOString();
    const annotations = { ...d.meta.annotations };
    if (kind === 'Broker') annotations[BROKER_CLASS_ANNOTATION] ??= BROKER_CLASS;
    const obj = {
      apiVersion: EVENTING_RESOURCES[kind].apiVersion,
      kind,
      metadata: {
        name: d.meta.name,
        namespace: ns,
        uid: randomUUID(),
        generation: 1,
        resourceVersion: String(++this.#resourceVersion),
        creationTimestamp: now,
        ...(Object.keys(d.meta.labels).length > 0 && { labels: d.meta.labels }),
        ...(Object.keys(annotations).length > 0 && { annotations }),
      },
      spec: d.spec,
      status: {},
    } as EventingObject;
    (this.#objects[kind] as Map<string, EventingObject>).set(k, obj);
    await this.#changed();
    return this.#withStatus(obj);
  }

  async replace(kind: EventingKind, ns: string, name: string, body: unknown): Promise<EventingObject> {
    const existing = this.#objects[kind].get(`${ns}/${name}`);
    if (existing === undefined) throw notFound(kind, name);
    const d = decode(kind, body, ns);
    if (d.meta.name !== name) throw new ApiError(400, 'BadRequest', `the name of the object (${d.meta.name}) does not match the name on the URL (${name})`);
    const rv = (body as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== '' && rv !== existing.metadata.resourceVersion) {
      const r = EVENTING_RESOURCES[kind];
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.plural}.${r.group} ${JSON.stringify(name)}: the object has been modified; please apply your changes to the latest version and try again`);
    }
    if (kind === 'Trigger' && (existing as Trigger).spec.broker !== (d.spec as Trigger['spec']).broker) {
      throw new ApiError(400, 'BadRequest', `validation failed: Immutable fields changed (-old +new): spec.broker\n{string}:\n\t-: ${JSON.stringify((existing as Trigger).spec.broker)}\n\t+: ${JSON.stringify((d.spec as Trigger['spec']).broker)}`);
    }
    if (JSON.stringify(existing.spec) !== JSON.stringify(d.spec)) existing.metadata.generation += 1;
    existing.spec = d.spec;
    const annotations = { ...d.meta.annotations };
    if (kind === 'Broker') annotations[BROKER_CLASS_ANNOTATION] ??= existing.metadata.annotations?.[BROKER_CLASS_ANNOTATION] ?? BROKER_CLASS;
    setMap(existing.metadata, 'labels', d.meta.labels);
    setMap(existing.metadata, 'annotations', annotations);
    existing.metadata.resourceVersion = String(++this.#resourceVersion);
    await this.#changed();
    return this.#withStatus(existing);
  }

  async delete(kind: EventingKind, ns: string, name: string): Promise<void> {
    if (!this.#objects[kind].delete(`${ns}/${name}`)) throw notFound(kind, name);
    await this.#changed();
  }

  // ---- status and the data-plane model ---------------------------------------------------------------------

  #withStatus<T extends EventingObject>(o: T): T {
    this.#fillStatus(o);
    return o;
  }

  #fillStatus(o: EventingObject): void {
    const now = new Date().toISOString();
    const conds = (o.status.conditions ??= []);
    o.status.observedGeneration = o.metadata.generation;
    switch (o.kind) {
      case 'Broker': {
        const b: Broker = o;
        b.status.address = { url: `${this.ingressBase}/${b.metadata.namespace}/${b.metadata.name}` };
        const deps: ConditionInput[] = [
          { type: 'Addressable', status: 'True' },
          { type: 'FilterReady', status: 'True' },
          { type: 'IngressReady', status: 'True' },
        ];
        const dls = b.spec.delivery?.deadLetterSink;
        if (dls !== undefined) deps.push(this.#dlsCondition(b.metadata.namespace, dls, b.status));
        this.#apply(conds, deps, now);
        break;
      }
      case 'Trigger': {
        const t: Trigger = o;
        const ns = t.metadata.namespace;
        const brokerOk = this.#objects.Broker.has(`${ns}/${t.spec.broker}`);
        const sub = this.#resolve(ns, t.spec.subscriber);
        if (sub.ok) t.status.subscriberUri = sub.sink.url;
        else delete t.status.subscriberUri;
        const deps: ConditionInput[] = [
          brokerOk
            ? { type: 'BrokerReady', status: 'True' }
            : { type: 'BrokerReady', status: 'False', reason: 'BrokerDoesNotExist', message: `Broker ${JSON.stringify(t.spec.broker)} does not exist` },
          sub.ok ? { type: 'SubscriberResolved', status: 'True' } : { type: 'SubscriberResolved', status: 'False', reason: sub.reason, message: sub.message },
          { type: 'DependencyReady', status: 'True' },
          { type: 'SubscriptionReady', status: brokerOk && sub.ok ? 'True' : 'Unknown' },
        ];
        const dls = this.#deliveryOf(t)?.deadLetterSink;
        if (dls !== undefined) deps.push(this.#dlsCondition(ns, dls, t.status));
        this.#apply(conds, deps, now);
        break;
      }
      case 'PingSource': {
        const p: PingSource = o;
        const sink = this.#resolve(p.metadata.namespace, p.spec.sink);
        if (sink.ok) p.status.sinkUri = sink.sink.url;
        else delete p.status.sinkUri;
        this.#apply(
          conds,
          [
            { type: 'Deployed', status: 'True' },
            sink.ok ? { type: 'SinkProvided', status: 'True' } : { type: 'SinkProvided', status: 'False', reason: 'NotFound', message: sink.message },
          ],
          now,
        );
        break;
      }
    }
  }

  #apply(conds: NonNullable<Broker['status']['conditions']>, deps: ConditionInput[], now: string): void {
    for (const d of deps) setCondition(conds, d, now);
    // Conditions no longer computed (a dead-letter sink removed) go away.
    for (let i = conds.length - 1; i >= 0; i--) if (conds[i]?.type !== 'Ready' && !deps.some((d) => d.type === conds[i]?.type)) conds.splice(i, 1);
    setCondition(conds, summarise(deps), now);
  }

  #dlsCondition(ns: string, dls: Destination, status: { deadLetterSinkUri?: string }): ConditionInput {
    const r = this.#resolve(ns, dls);
    if (r.ok) {
      status.deadLetterSinkUri = r.sink.url;
      return { type: 'DeadLetterSinkResolved', status: 'True' };
    }
    delete status.deadLetterSinkUri;
    return { type: 'DeadLetterSinkResolved', status: 'False', reason: 'Unable to get the dead letter sink\'s URI', message: r.message };
  }

  /** A Trigger's delivery replaces its Broker's as a whole (trigger_types.go). */
  #deliveryOf(t: Trigger): Broker['spec']['delivery'] {
    return t.spec.delivery ?? this.#objects.Broker.get(`${t.metadata.namespace}/${t.spec.broker}`)?.spec.delivery;
  }

  #resolve(ns: string, d: Destination): Resolved {
    if (d.ref === undefined) {
      return d.uri === undefined ? { ok: false, reason: 'NotFound', message: 'no ref and no uri' } : { ok: true, sink: { kind: 'url', url: d.uri } };
    }
    const refNs = d.ref.namespace ?? ns;
    const suffix = d.uri ?? '';
    if (d.ref.kind === 'Broker') {
      if (!this.#objects.Broker.has(`${refNs}/${d.ref.name}`)) return { ok: false, reason: 'NotFound', message: `brokers.eventing.knative.dev ${JSON.stringify(d.ref.name)} not found` };
      return { ok: true, sink: { kind: 'broker', key: `${refNs}/${d.ref.name}`, url: `${this.ingressBase}/${refNs}/${d.ref.name}` } };
    }
    const svc = this.#host.services.get(`${refNs}/${d.ref.name}`);
    if (svc === undefined) return { ok: false, reason: 'NotFound', message: `services.serving.knative.dev ${JSON.stringify(d.ref.name)} not found` };
    const url = svc.status.url ?? `http://${d.ref.name}.${refNs}.${this.#host.domain}:${String(this.#host.routerPort)}`;
    return { ok: true, sink: { kind: 'service', key: `${refNs}/${d.ref.name}`, url: `${url}${suffix}` } };
  }

  /** Deliveries in flight towards a Service: containerConcurrency × ready pods (at least one pod's worth). */
  #inFlightLimit(t: Trigger, sink: Sink): () => number {
    const annotated = t.metadata.annotations?.[MAX_IN_FLIGHT_ANNOTATION];
    if (annotated !== undefined) {
      const n = Number(annotated);
      return () => n;
    }
    if (sink.kind !== 'service') return () => DEFAULT_MAX_IN_FLIGHT;
    const svc = this.#host.services.get(sink.key);
    const revName = svc?.status.latestReadyRevisionName;
    const [ns] = sink.key.split('/');
    const revKey = `${ns ?? ''}/${revName ?? ''}`;
    const cc = this.#host.revisions.get(revKey)?.spec.containerConcurrency ?? 0;
    if (cc <= 0) return () => DEFAULT_MAX_IN_FLIGHT;
    return () => cc * Math.max(1, this.#host.readyPods(revKey));
  }

  #model(): { model: EventingModel; signature: string } {
    const brokers = [...this.#objects.Broker.keys()];
    const triggers: TriggerConfig[] = [];
    const sig: unknown[] = [brokers];
    for (const t of this.#objects.Trigger.values()) {
      const ns = t.metadata.namespace;
      const broker = `${ns}/${t.spec.broker}`;
      const sub = this.#resolve(ns, t.spec.subscriber);
      const delivery = this.#deliveryOf(t);
      const dls = delivery?.deadLetterSink === undefined ? undefined : this.#resolve(ns, delivery.deadLetterSink);
      const ready = this.#objects.Broker.has(broker) && sub.ok;
      // A Trigger whose subscriber cannot be resolved still drains what it owes once it can; until then it is
      // configured against an address that refuses (retried, then kept as dead letters).
      const url = sub.ok ? sub.sink.url : `http://${t.metadata.name}.unresolved.invalid/`;
      let subscriber;
      try {
        subscriber = resolveTarget(url);
      } catch {
        continue;
      }
      const dlsTarget = dls?.ok === true ? resolveTarget(dls.sink.url) : undefined;
      const limit = sub.ok ? this.#inFlightLimit(t, sub.sink) : () => DEFAULT_MAX_IN_FLIGHT;
      triggers.push({
        key: `${ns}/${t.metadata.name}`,
        namespace: ns,
        broker,
        ready,
        predicate: triggerPredicate(t.spec),
        subscriber,
        deadLetterSink: dlsTarget,
        policy: retryPolicyOf(delivery),
        inFlightLimit: limit,
      });
      sig.push([t.metadata.name, ns, t.metadata.resourceVersion, ready, url, dlsTarget?.url, delivery, t.metadata.annotations, limit()]);
    }
    const pings: PingModel[] = [];
    for (const p of this.#objects.PingSource.values()) {
      const ns = p.metadata.namespace;
      const sink = this.#resolve(ns, p.spec.sink);
      if (!sink.ok) continue;
      let target;
      try {
        target = sink.sink.kind === 'broker' ? undefined : resolveTarget(sink.sink.url);
      } catch {
        continue;
      }
      const data = p.spec.dataBase64 !== undefined ? Buffer.from(p.spec.dataBase64, 'base64') : p.spec.data !== undefined ? Buffer.from(p.spec.data, 'utf8') : undefined;
      pings.push({
        key: `${ns}/${p.metadata.name}`,
        namespace: ns,
        name: p.metadata.name,
        schedule: p.spec.schedule ?? '* * * * *',
        timezone: p.spec.timezone,
        contentType: p.spec.contentType,
        data,
        extensions: p.spec.ceOverrides?.extensions ?? {},
        sink: sink.sink.kind === 'broker' ? { broker: sink.sink.key } : { target: target ?? resolveTarget(sink.sink.url) },
      });
      sig.push([p.metadata.name, ns, p.metadata.resourceVersion, sink.sink.url]);
    }
    return { model: { brokers, triggers, pings }, signature: JSON.stringify(sig) };
  }

  #push(): void {
    try {
      const { model, signature } = this.#model();
      if (signature === this.#lastModel) return;
      this.#lastModel = signature;
      this.#host.configure(model);
    } catch (err) {
      this.#log.error({ err }, 'configuring the eventing data plane failed');
    }
  }

  async #changed(): Promise<void> {
    this.#push();
    await this.#save();
  }

  #save(): Promise<void> {
    if (this.#file === '') return Promise.resolve();
    const p = this.#chain.then(() => this.#write());
    this.#chain = p.catch((err: unknown) => this.#log.error({ err, file: this.#file }, 'saving eventing objects failed'));
    return p;
  }

  async #write(): Promise<void> {
    const objects = [...this.#objects.Broker.values(), ...this.#objects.Trigger.values(), ...this.#objects.PingSource.values()];
    const tmp = `${this.#file}.${String(process.pid)}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify({ kind: FORMAT, version: 1, resourceVersion: this.#resourceVersion, objects }, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.#file);
  }
}

function decode(kind: EventingKind, body: unknown, ns: string): Decoded<EventingObject['spec']> {
  switch (kind) {
    case 'Broker':
      return decodeBroker(body, ns);
    case 'Trigger':
      return decodeTrigger(body, ns);
    case 'PingSource':
      return decodePingSource(body, ns);
  }
}

function notFound(kind: EventingKind, name: string): ApiError {
  const r = EVENTING_RESOURCES[kind];
  return new ApiError(404, 'NotFound', `${r.plural}.${r.group} ${JSON.stringify(name)} not found`, { name, group: r.group, kind: r.plural });
}

function setMap(meta: { labels?: Record<string, string>; annotations?: Record<string, string> }, key: 'labels' | 'annotations', m: Record<string, string>): void {
  if (Object.keys(m).length > 0) meta[key] = m;
  else delete meta[key];
}

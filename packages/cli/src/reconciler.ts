// Service → Configuration → Revision, and Service → Route, as Knative's service, configuration, route and revision
// reconcilers do (serving pkg/reconciler/{service,configuration,route,revision}), driving the local control plane.
// This file is the object layer's entry (the control API's reads and writes, the control plane's events); each
// reconciler has its own file under reconciler/:
// - service.ts:       the Service owns a Configuration and a Route of its name; its status summarises theirs;
// - configuration.ts: every template change makes a new, immutable Revision (`<service>-00001`, or the template's
//                     own name), and the Configuration's readiness follows its latest one;
// - route.ts:         the Route follows `spec.traffic`; `@latest` means the latest *ready* revision, so a new revision
//                     gets traffic only once the control plane reports it ready, and one that fails never gets any
//                     (the previous split keeps serving); the control plane's route table is swapped whole;
// - revision.ts:      a Revision runs on the control plane once needed; revisionReady / revisionFailed events move
//                     its conditions on.
// Every change is saved to the store. All state changes happen synchronously on the event loop, so API calls and
// events never interleave mid-change.

import { randomUUID } from 'node:crypto';
import { goQuote } from '@kdp/router';
import { DEFAULT_AUTOSCALER_CONFIG, type AutoscalerConfig } from '@kdp/autoscaler';
import type { ControlPlane } from '@kdp/platform';
import { alreadyExists, conflict, notFound } from './api-errors.js';
import { readyStatus } from './objects/conditions.js';
import { decodeService, InvalidObjectError } from './objects/service-input.js';
import { LABELS, RESOURCES, type Configuration, type KnativeObject, type Revision, type Route, type Service } from './objects/types.js';
import { key, SILENT, type ReconcileEnv, type ReconcilerLogger } from './reconciler/env.js';
import { RevisionLifecycle } from './reconciler/revision.js';
import { RouteReconciler } from './reconciler/route.js';
import { list, type LabelSelector } from './reconciler/selector.js';
import { ServiceReconciler } from './reconciler/service.js';
import type { Store } from './store.js';

export type { ReconcilerLogger } from './reconciler/env.js';
export { parseLabelSelector, type LabelSelector } from './reconciler/selector.js';

export interface ReconcilerOptions {
  readonly store: Store;
  readonly controlPlane: ControlPlane;
  /** Wall clock in ms; injected for tests. */
  readonly now?: () => number;
  readonly uid?: () => string;
  readonly logger?: ReconcilerLogger;
  /** The platform's autoscaler settings the validation follows (`allowZeroInitialScale`); Knative's defaults. */
  readonly autoscaler?: AutoscalerConfig;
}

export class Reconciler {
  readonly #store: Store;
  readonly #cp: ControlPlane;
  readonly #log: ReconcilerLogger;
  readonly #autoscaler: AutoscalerConfig;
  readonly #revisions: RevisionLifecycle;
  readonly #routes: RouteReconciler;
  readonly #services: ServiceReconciler;
  #started = false;

  constructor(o: ReconcilerOptions) {
    const env: ReconcileEnv = {
      store: o.store,
      cp: o.controlPlane,
      now: o.now ?? Date.now,
      uid: o.uid ?? randomUUID,
      log: o.logger ?? SILENT,
    };
    this.#store = env.store;
    this.#cp = env.cp;
    this.#log = env.log;
    this.#autoscaler = o.autoscaler ?? DEFAULT_AUTOSCALER_CONFIG;
    this.#revisions = new RevisionLifecycle(env);
    this.#routes = new RouteReconciler(env, this.#revisions);
    this.#services = new ServiceReconciler(env, this.#routes, this.#revisions);
  }

  /**
   * Subscribes to the control plane and brings back what the store holds: every revision that serves or may serve
   * traffic is added again (the others stay at zero until traffic names them), then the whole route table is set.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#cp.events.on('revisionReady', this.#onReady);
    this.#cp.events.on('revisionFailed', this.#onFailed);
    for (const route of this.#store.routes.values()) this.#routes.restore(route);
    for (const cfg of this.#store.configurations.values()) {
      const lc = cfg.status.latestCreatedRevisionName;
      const rev = lc === undefined ? undefined : this.#store.revisions.get(`${cfg.metadata.namespace}/${lc}`);
      if (rev !== undefined && readyStatus(rev.status.conditions) === 'Unknown') this.#revisions.ensureAdded(rev);
    }
    for (const svc of this.#store.services.values()) this.#services.reconcile(svc, false);
    this.#routes.push();
    this.#save();
  }

  stop(): void {
    this.#cp.events.off('revisionReady', this.#onReady);
    this.#cp.events.off('revisionFailed', this.#onFailed);
    this.#started = false;
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  get domain(): string {
    return this.#cp.domain;
  }

  getService(ns: string, name: string): Service {
    return this.#get(this.#store.services, 'Service', ns, name);
  }

  listServices(ns: string | undefined, selector: LabelSelector = []): Service[] {
    return list(this.#store.services, ns, selector);
  }

  getConfiguration(ns: string, name: string): Configuration {
    return this.#get(this.#store.configurations, 'Configuration', ns, name);
  }

  listConfigurations(ns: string | undefined, selector: LabelSelector = []): Configuration[] {
    return list(this.#store.configurations, ns, selector);
  }

  getRevision(ns: string, name: string): Revision {
    return this.#revisions.withLiveStatus(this.#get(this.#store.revisions, 'Revision', ns, name));
  }

  listRevisions(ns: string | undefined, selector: LabelSelector = []): Revision[] {
    return list(this.#store.revisions, ns, selector).map((r) => this.#revisions.withLiveStatus(r));
  }

  getRoute(ns: string, name: string): Route {
    return this.#get(this.#store.routes, 'Route', ns, name);
  }

  listRoutes(ns: string | undefined, selector: LabelSelector = []): Route[] {
    return list(this.#store.routes, ns, selector);
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  async createService(ns: string, body: unknown): Promise<Service> {
    const input = decodeService(body, ns, this.#autoscaler);
    if (this.#store.services.has(`${ns}/${input.name}`)) throw alreadyExists(RESOURCES.Service, input.name);
    const svc = this.#services.apply(ns, input, undefined);
    await this.#store.save();
    return svc;
  }

  async replaceService(ns: string, name: string, body: unknown): Promise<Service> {
    const input = decodeService(body, ns, this.#autoscaler);
    if (input.name !== name) {
      throw new InvalidObjectError([{ message: `invalid value: ${input.name}`, paths: ['metadata.name'], details: `the name of the object does not match the name in the path (${name})` }]);
    }
    const existing = this.#store.services.get(`${ns}/${name}`);
    if (existing === undefined) throw notFound(RESOURCES.Service, name);
    const svc = this.#services.apply(ns, input, existing);
    await this.#store.save();
    return svc;
  }

  /** Removes the Service and everything it owns; resolves once their pods have stopped. */
  async deleteService(ns: string, name: string, waitForPods = true): Promise<void> {
    const k = `${ns}/${name}`;
    if (!this.#store.services.has(k)) throw notFound(RESOURCES.Service, name);
    this.#store.services.delete(k);
    this.#store.configurations.delete(k);
    this.#store.routes.delete(k);
    this.#routes.forget(k);
    const revs = [...this.#store.revisions.values()].filter(
      (r) => r.metadata.namespace === ns && r.metadata.labels?.[LABELS.service] === name,
    );
    for (const r of revs) this.#store.revisions.delete(key(r));
    this.#routes.push();
    this.#log.info({ service: k, revisions: revs.length }, 'service deleted');
    const stopped = Promise.all(revs.map((r) => this.#revisions.remove(key(r))));
    await Promise.all([this.#store.save(), waitForPods ? stopped : undefined]);
  }

  /** Removes a Revision that no route serves and that is not its Configuration's latest. */
  async deleteRevision(ns: string, name: string, waitForPods = true): Promise<void> {
    const k = `${ns}/${name}`;
    const rev = this.#store.revisions.get(k);
    if (rev === undefined) throw notFound(RESOURCES.Revision, name);
    const svcName = rev.metadata.labels?.[LABELS.service] ?? '';
    const cfg = this.#store.configurations.get(`${ns}/${rev.metadata.labels?.[LABELS.configuration] ?? ''}`);
    if (this.#routes.holds(ns, svcName, name)) {
      throw conflict(RESOURCES.Revision, name, `it receives traffic from route ${goQuote(svcName)}; move its traffic (and tags) to another revision first`);
    }
    if (cfg?.status.latestCreatedRevisionName === name) {
      throw conflict(RESOURCES.Revision, name, `it is the latest revision of service ${goQuote(svcName)} (Knative would create it again); update the service first`);
    }
    this.#store.revisions.delete(k);
    if (cfg !== undefined && cfg.status.latestReadyRevisionName === name) {
      delete cfg.status.latestReadyRevisionName;
      const svc = this.#store.services.get(`${ns}/${svcName}`);
      if (svc !== undefined) this.#services.reconcile(svc, true);
    }
    this.#log.info({ revision: k }, 'revision deleted');
    const stopped = this.#revisions.remove(k);
    await Promise.all([this.#store.save(), waitForPods ? stopped : undefined]);
  }

  // ---- control plane events -----------------------------------------------------------------------------------

  readonly #onReady = (k: string): void => {
    const rev = this.#store.revisions.get(k);
    if (rev === undefined) return;
    this.#revisions.markReady(rev);
    this.#afterRevisionChange(rev);
  };

  readonly #onFailed = (k: string, reason: string, message: string): void => {
    const rev = this.#store.revisions.get(k);
    if (rev === undefined) return;
    this.#log.warn({ revision: k, reason, message }, 'revision failed');
    this.#revisions.markFailed(rev, reason, message);
    this.#afterRevisionChange(rev);
  };

  #afterRevisionChange(rev: Revision): void {
    const svc = this.#store.services.get(`${rev.metadata.namespace}/${rev.metadata.labels?.[LABELS.service] ?? ''}`);
    if (svc !== undefined) this.#services.reconcile(svc, true);
    this.#save();
  }

  #save(): void {
    this.#store.save().catch((err: unknown) => this.#log.error({ err, file: this.#store.file }, 'saving state failed'));
  }

  #get<T extends KnativeObject>(map: ReadonlyMap<string, T>, kind: T['kind'], ns: string, name: string): T {
    const o = map.get(`${ns}/${name}`);
    if (o === undefined) throw notFound(RESOURCES[kind], name);
    return o;
  }
}

// Service → Configuration → Revision, and Service → Route, as Knative's service, configuration and route
// reconcilers do (serving pkg/reconciler/{service,configuration,route}), driving the local control plane:
// - every template change makes a new, immutable Revision (`<service>-00001`, or the template's own name) and adds
//   it to the control plane;
// - the Route follows `spec.traffic`; `@latest` means the latest *ready* revision, so a new revision gets traffic only
//   once the control plane reports it ready, and one that fails never gets any (the previous split keeps serving);
// - revisionReady / revisionFailed events move the statuses on; every change is saved to the store.
// All state changes happen synchronously on the event loop, so API calls and events never interleave mid-change.

import { randomUUID } from 'node:crypto';
import {
  goQuote,
  hostProblem,
  resolveTraffic,
  routeHost,
  settleRoute,
  tagHost,
  type ConfigurationState,
  type FieldIssue,
  type ResolvedTraffic,
  type RevisionState,
  type RouteInput,
  type TrafficSources,
} from '@kdp/router';
import { makeRevision, RuntimeConfigError, type Revision as RuntimeRevision } from '@kdp/runtime';
import { DEFAULT_AUTOSCALER_CONFIG, type AutoscalerConfig } from '@kdp/autoscaler';
import { alreadyExists, ApiError, conflict, notFound } from './api-errors.js';
import { getCondition, readyStatus, setCondition, summarise, type ConditionInput } from './objects/conditions.js';
import {
  generatedRevisionName,
  jsonDiff,
  jsonEqual,
  newConfiguration,
  newRevision,
  newRoute,
  newService,
  timestamp,
  type Stamp,
} from './objects/factory.js';
import { decodeService, InvalidObjectError, type ServiceInput } from './objects/service-input.js';
import { toRevisionInput } from './objects/to-revision.js';
import {
  LABELS,
  RESOURCES,
  type Configuration,
  type KnativeObject,
  type Revision,
  type Route,
  type Service,
} from './objects/types.js';
import type { ControlPlane } from '@kdp/platform';
import {
  configurationReady,
  configurationsReady,
  routesReady,
  servedRevisions,
  servingFromStatus,
  statusTraffic,
} from './status.js';
import type { Store } from './store.js';

export interface ReconcilerLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const SILENT: ReconcilerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

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

/** `a=b,c!=d` label selectors (equality-based only). */
export type LabelSelector = readonly { readonly key: string; readonly value: string; readonly equal: boolean }[];

export class Reconciler {
  readonly #store: Store;
  readonly #cp: ControlPlane;
  readonly #now: () => number;
  readonly #uid: () => string;
  readonly #log: ReconcilerLogger;
  /** What each route serves now (`namespace/name`), i.e. what the control plane's route table holds. */
  readonly #serving = new Map<string, ResolvedTraffic>();
  /** Revisions added to the control plane since start. */
  readonly #added = new Set<string>();
  #started = false;

  readonly #autoscaler: AutoscalerConfig;

  constructor(o: ReconcilerOptions) {
    this.#store = o.store;
    this.#cp = o.controlPlane;
    this.#now = o.now ?? Date.now;
    this.#uid = o.uid ?? randomUUID;
    this.#log = o.logger ?? SILENT;
    this.#autoscaler = o.autoscaler ?? DEFAULT_AUTOSCALER_CONFIG;
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
    for (const route of this.#store.routes.values()) {
      const serving = servingFromStatus(route.status.traffic ?? []);
      if (serving !== undefined) this.#serving.set(key(route), serving);
    }
    for (const cfg of this.#store.configurations.values()) {
      const lc = cfg.status.latestCreatedRevisionName;
      const rev = lc === undefined ? undefined : this.#store.revisions.get(`${cfg.metadata.namespace}/${lc}`);
      if (rev !== undefined && readyStatus(rev.status.conditions) === 'Unknown') this.#ensureAdded(rev);
    }
    for (const svc of this.#store.services.values()) this.#reconcile(svc, false);
    this.#pushRoutes();
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
    return this.#live(this.#get(this.#store.revisions, 'Revision', ns, name));
  }

  listRevisions(ns: string | undefined, selector: LabelSelector = []): Revision[] {
    return list(this.#store.revisions, ns, selector).map((r) => this.#live(r));
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
    const svc = this.#apply(ns, input, undefined);
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
    const svc = this.#apply(ns, input, existing);
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
    this.#serving.delete(k);
    const revs = [...this.#store.revisions.values()].filter(
      (r) => r.metadata.namespace === ns && r.metadata.labels?.[LABELS.service] === name,
    );
    for (const r of revs) this.#store.revisions.delete(key(r));
    this.#pushRoutes();
    this.#log.info({ service: k, revisions: revs.length }, 'service deleted');
    const stopped = Promise.all(revs.map((r) => this.#remove(key(r))));
    await Promise.all([this.#store.save(), waitForPods ? stopped : undefined]);
  }

  /** Removes a Revision that no route serves and that is not its Configuration's latest. */
  async deleteRevision(ns: string, name: string, waitForPods = true): Promise<void> {
    const k = `${ns}/${name}`;
    const rev = this.#store.revisions.get(k);
    if (rev === undefined) throw notFound(RESOURCES.Revision, name);
    const svcName = rev.metadata.labels?.[LABELS.service] ?? '';
    const cfg = this.#store.configurations.get(`${ns}/${rev.metadata.labels?.[LABELS.configuration] ?? ''}`);
    const route = this.#store.routes.get(`${ns}/${svcName}`);
    const serving = this.#serving.get(`${ns}/${svcName}`);
    const pinned = route?.spec.traffic.some((t) => t.revisionName === name) ?? false;
    if (pinned || (serving !== undefined && servedRevisions(serving).includes(name))) {
      throw conflict(RESOURCES.Revision, name, `it receives traffic from route ${goQuote(svcName)}; move its traffic (and tags) to another revision first`);
    }
    if (cfg?.status.latestCreatedRevisionName === name) {
      throw conflict(RESOURCES.Revision, name, `it is the latest revision of service ${goQuote(svcName)} (Knative would create it again); update the service first`);
    }
    this.#store.revisions.delete(k);
    if (cfg !== undefined && cfg.status.latestReadyRevisionName === name) {
      delete cfg.status.latestReadyRevisionName;
      const svc = this.#store.services.get(`${ns}/${svcName}`);
      if (svc !== undefined) this.#reconcile(svc, true);
    }
    this.#log.info({ revision: k }, 'revision deleted');
    const stopped = this.#remove(k);
    await Promise.all([this.#store.save(), waitForPods ? stopped : undefined]);
  }

  // ---- the reconcile ------------------------------------------------------------------------------------------

  #apply(ns: string, input: ServiceInput, existing: Service | undefined): Service {
    const name = input.name;
    const k = `${ns}/${name}`;
    if (existing !== undefined && input.resourceVersion !== '' && input.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(RESOURCES.Service, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const cfg = this.#store.configurations.get(k);
    const oldTemplate = cfg?.spec.template;
    const template = input.spec.template;
    const templateChanged = oldTemplate === undefined || !jsonEqual(oldTemplate, template);
    if (
      existing !== undefined &&
      templateChanged &&
      template.metadata.name !== undefined &&
      template.metadata.name === oldTemplate?.metadata.name
    ) {
      // revision_validation.go VerifyNameChange: a named template is immutable under that name.
      throw new InvalidObjectError([
        { message: 'Saw the following changes without a name change (-old +new)', paths: ['spec.template.metadata.name'], details: jsonDiff(oldTemplate, template) },
      ]);
    }
    if (
      existing !== undefined &&
      jsonEqual(existing.spec, input.spec) &&
      jsonEqual(existing.metadata.labels ?? {}, input.labels) &&
      jsonEqual(existing.metadata.annotations ?? {}, input.annotations)
    ) {
      return existing;
    }

    const generation = templateChanged ? (cfg?.metadata.generation ?? 0) + 1 : (cfg?.metadata.generation ?? 0);
    const revisionName = templateChanged ? (template.metadata.name ?? generatedRevisionName(name, generation)) : undefined;
    const reused = revisionName === undefined ? undefined : this.#store.revisions.get(`${ns}/${revisionName}`);
    if (revisionName !== undefined && reused !== undefined) {
      if (reused.metadata.labels?.[LABELS.configuration] !== name) {
        throw alreadyExists(RESOURCES.Revision, revisionName, `it belongs to service ${goQuote(reused.metadata.labels?.[LABELS.service] ?? '')}`);
      }
      if (!jsonEqual(reused.spec, template.spec) || !jsonEqual(reused.metadata.annotations ?? {}, template.metadata.annotations ?? {})) {
        throw alreadyExists(RESOURCES.Revision, revisionName, 'it was made from a different template; give the new revision another name');
      }
    }
    this.#checkTraffic(ns, input, revisionName);

    // Commit. Objects first, so events the control plane may emit while adding find them.
    const svc = existing ?? newService(ns, name, input.labels, input.annotations, input.spec, this.#stamp());
    if (existing !== undefined) {
      existing.metadata.generation += 1;
      existing.metadata.resourceVersion = this.#store.nextResourceVersion();
      setMaps(existing, input.labels, input.annotations);
      existing.spec = input.spec;
    }
    this.#store.services.set(k, svc);
    const config = cfg ?? newConfiguration(svc, this.#stamp());
    const superseded = revisionName === undefined ? undefined : config.status.latestCreatedRevisionName;
    const route = this.#store.routes.get(k) ?? newRoute(svc, this.#stamp());
    if (!jsonEqual(route.spec.traffic, input.spec.traffic) || route.metadata.generation === 0) {
      route.spec = { traffic: input.spec.traffic };
      route.metadata.generation += 1;
    }
    this.#store.routes.set(k, route);
    this.#store.configurations.set(k, config);
    if (revisionName !== undefined) {
      config.spec = { template };
      config.metadata.generation = generation;
      config.status.latestCreatedRevisionName = revisionName;
      if (reused === undefined) {
        const rev = newRevision(config, svc, revisionName, template, this.#stamp());
        this.#store.revisions.set(key(rev), rev);
        this.#log.info({ service: k, revision: revisionName }, 'revision created');
      }
    }
    // A new revision starts (and an old one named by the traffic comes back) before the route can point at it.
    if (revisionName !== undefined) {
      const rev = this.#store.revisions.get(`${ns}/${revisionName}`);
      if (rev !== undefined) this.#ensureAdded(rev);
    }
    this.#reconcile(svc, true);
    if (superseded !== undefined && superseded !== revisionName) this.#retire(ns, name, superseded);
    return svc;
  }

  /**
   * A latest revision replaced before it ever became ready (still starting, or failing and being retried) is stopped:
   * nothing can route to it, and a crash-looping process should not outlive the template that made it. Its status
   * stays as it was; traffic naming it later brings it back (#ensureAdded).
   */
  #retire(ns: string, service: string, revision: string): void {
    const rev = this.#store.revisions.get(`${ns}/${revision}`);
    if (rev === undefined || readyStatus(rev.status.conditions) === 'True') return;
    const serving = this.#serving.get(`${ns}/${service}`);
    const pinned = this.#store.routes.get(`${ns}/${service}`)?.spec.traffic.some((t) => t.revisionName === revision) ?? false;
    if (pinned || (serving !== undefined && servedRevisions(serving).includes(revision))) return;
    this.#log.info({ revision: `${ns}/${revision}` }, 'stopping superseded revision that never became ready');
    void this.#remove(`${ns}/${revision}`);
  }

  /**
   * Traffic problems Knative's webhook lets through but its route reconciler then reports (RevisionMissing,
   * RevisionNotOwned, a failed revision, a tag host that is not a valid name): kdp refuses them up front, so the
   * CLI can say what is wrong instead of waiting for a route that cannot become ready.
   */
  #checkTraffic(ns: string, input: ServiceInput, creating: string | undefined): void {
    const issues: FieldIssue[] = [];
    input.spec.traffic.forEach((t, i) => {
      const at = `spec.traffic[${i}]`;
      const rev = t.revisionName;
      if (rev !== undefined && rev !== creating) {
        const obj = this.#store.revisions.get(`${ns}/${rev}`);
        const owner = obj?.metadata.labels?.[LABELS.service] ?? '';
        if (obj === undefined) {
          issues.push({ message: `Revision ${goQuote(rev)} referenced in traffic not found`, paths: [`${at}.revisionName`] });
        } else if (owner !== input.name) {
          issues.push({ message: `Revision ${goQuote(rev)} belongs to Service ${goQuote(owner)}, not Service ${goQuote(input.name)}`, paths: [`${at}.revisionName`] });
        } else if (readyStatus(obj.status.conditions) === 'False') {
          const c = getCondition(obj.status.conditions, 'Ready');
          issues.push({
            message: `Revision ${goQuote(rev)} failed to become ready`,
            paths: [`${at}.revisionName`],
            details: `${c?.reason ?? ''}: ${c?.message ?? ''}`,
          });
        }
      }
      if (t.tag !== undefined) {
        const problem = hostProblem(tagHost(t.tag, input.name, ns, this.#cp.domain));
        if (problem !== undefined) issues.push({ message: problem, paths: [`${at}.tag`] });
      }
    });
    const problem = hostProblem(routeHost(input.name, ns, this.#cp.domain));
    if (problem !== undefined) issues.push({ message: problem, paths: ['metadata.name'] });
    if (issues.length > 0) throw new InvalidObjectError(issues);
  }

  /** Recomputes the Configuration, Route and Service statuses of `svc`, and swaps the route table if needed. */
  #reconcile(svc: Service, push: boolean): void {
    const ns = svc.metadata.namespace;
    const name = svc.metadata.name;
    const k = key(svc);
    const now = timestamp(this.#now());
    const cfg = this.#store.configurations.get(k);
    const route = this.#store.routes.get(k);
    if (cfg === undefined || route === undefined) return;

    // Configuration: Ready follows the latest created revision; @latest moves once that one is ready.
    const lc = cfg.status.latestCreatedRevisionName;
    const lcRev = lc === undefined ? undefined : this.#store.revisions.get(`${ns}/${lc}`);
    const cfgReady = configurationReady(lc, lcRev);
    if (cfgReady.status === 'True' && lc !== undefined) cfg.status.latestReadyRevisionName = lc;
    cfg.status.observedGeneration = cfg.metadata.generation;
    setCondition((cfg.status.conditions ??= []), cfgReady, now);

    // Revisions pinned by the traffic must run (a reserve revision comes back when traffic names it again).
    for (const t of route.spec.traffic) {
      const rev = t.revisionName === undefined ? undefined : this.#store.revisions.get(`${ns}/${t.revisionName}`);
      if (rev !== undefined) this.#ensureAdded(rev);
    }

    // Route: resolve the traffic; while it is blocked the previous split keeps serving (settleRoute).
    const previous = this.#serving.get(k);
    const resolution = resolveTraffic(route.spec.traffic, this.#sources(ns), { serviceName: name });
    const settled = settleRoute(previous, resolution);
    const url = this.#url(routeHost(name, ns, this.#cp.domain));
    route.status.observedGeneration = route.metadata.generation;
    route.status.url = url;
    route.status.address = { url };
    for (const c of settled.conditions) setCondition((route.status.conditions ??= []), c, now);
    if (settled.serving !== undefined) {
      route.status.traffic = statusTraffic(settled.serving, (tag) => this.#url(tagHost(tag, name, ns, this.#cp.domain)));
      for (const rev of servedRevisions(settled.serving)) {
        const obj = this.#store.revisions.get(`${ns}/${rev}`);
        if (obj !== undefined) this.#ensureAdded(obj);
      }
    }
    const changed = !jsonEqual(previous, settled.serving);
    if (settled.serving !== undefined) this.#serving.set(k, settled.serving);

    // Service: a summary of both.
    const routeReady = getCondition(route.status.conditions, 'Ready');
    const configsCond = configurationsReady(cfgReady);
    const routesCond = routesReady(
      routeReady === undefined ? { type: 'Ready', status: 'Unknown' } : routeReady,
      route.status.traffic ?? [],
      lc,
    );
    const st = svc.status;
    st.observedGeneration = svc.metadata.generation;
    if (lc !== undefined) st.latestCreatedRevisionName = lc;
    if (cfg.status.latestReadyRevisionName !== undefined) st.latestReadyRevisionName = cfg.status.latestReadyRevisionName;
    else delete st.latestReadyRevisionName;
    st.url = url;
    st.address = { url };
    if (route.status.traffic !== undefined) st.traffic = route.status.traffic;
    const conditions = (st.conditions ??= []);
    setCondition(conditions, configsCond, now);
    setCondition(conditions, routesCond, now);
    setCondition(conditions, summarise([configsCond, routesCond]), now);

    if (changed) {
      this.#log.info({ route: k, split: settled.serving?.split, tags: settled.serving?.tags }, 'route changed');
      if (push) this.#pushRoutes();
    }
  }

  #sources(ns: string): TrafficSources {
    const revisions = new Map<string, RevisionState>();
    for (const r of this.#store.revisions.values()) {
      if (r.metadata.namespace !== ns) continue;
      const labels = r.metadata.labels ?? {};
      revisions.set(r.metadata.name, {
        ready: readyStatus(r.status.conditions),
        ...(labels[LABELS.configuration] !== undefined && { configurationName: labels[LABELS.configuration] }),
        ...(labels[LABELS.service] !== undefined && { serviceName: labels[LABELS.service] }),
      });
    }
    const configurations = new Map<string, ConfigurationState>();
    for (const c of this.#store.configurations.values()) {
      if (c.metadata.namespace !== ns) continue;
      configurations.set(c.metadata.name, {
        ready: readyStatus(c.status.conditions),
        ...(c.status.latestReadyRevisionName !== undefined && { latestReadyRevisionName: c.status.latestReadyRevisionName }),
      });
    }
    return { revisions, configurations };
  }

  /** Swaps the control plane's whole route table for what every route serves now. */
  #pushRoutes(): void {
    const routes: RouteInput[] = [];
    for (const [k, serving] of this.#serving) {
      const route = this.#store.routes.get(k);
      if (route === undefined) continue;
      routes.push({ namespace: route.metadata.namespace, name: route.metadata.name, split: serving.split, tags: serving.tags });
    }
    try {
      this.#cp.setRoutes(routes);
    } catch (err) {
      // Traffic is validated before it is stored, so this is a kdp bug; the previous table keeps serving.
      this.#log.error({ err }, 'route table rejected');
    }
  }

  #ensureAdded(rev: Revision): void {
    const k = key(rev);
    if (this.#added.has(k)) return;
    let snapshot: RuntimeRevision;
    try {
      snapshot = makeRevision(
        toRevisionInput(rev.metadata.namespace, rev.metadata.labels?.[LABELS.service] ?? '', rev.metadata.name, {
          metadata: { ...(rev.metadata.annotations !== undefined && { annotations: rev.metadata.annotations }) },
          spec: rev.spec,
        }),
      );
    } catch (err) {
      const message = err instanceof RuntimeConfigError ? err.lines.join('; ') : (err as Error).message;
      this.#markFailed(rev, 'InvalidSpec', message);
      return;
    }
    this.#added.add(k);
    try {
      this.#cp.addRevision(snapshot);
    } catch (err) {
      this.#added.delete(k);
      this.#markFailed(rev, 'CreationFailed', (err as Error).message);
    }
  }

  async #remove(k: string): Promise<void> {
    if (!this.#added.delete(k)) return;
    try {
      await this.#cp.removeRevision(k);
    } catch (err) {
      this.#log.warn({ revision: k, err }, 'removing revision failed');
    }
  }

  // ---- control plane events -----------------------------------------------------------------------------------

  readonly #onReady = (k: string): void => {
    const rev = this.#store.revisions.get(k);
    if (rev === undefined) return;
    const now = timestamp(this.#now());
    const conditions = (rev.status.conditions ??= []);
    const wasReady = readyStatus(conditions) === 'True';
    for (const type of ['Ready', 'ContainerHealthy', 'ResourcesAvailable']) setCondition(conditions, { type, status: 'True' }, now);
    if (!wasReady) this.#log.info({ revision: k }, 'revision ready');
    this.#afterRevisionChange(rev);
  };

  readonly #onFailed = (k: string, reason: string, message: string): void => {
    const rev = this.#store.revisions.get(k);
    if (rev === undefined) return;
    this.#log.warn({ revision: k, reason, message }, 'revision failed');
    this.#markFailed(rev, reason, message);
    this.#afterRevisionChange(rev);
  };

  #markFailed(rev: Revision, reason: string, message: string): void {
    const now = timestamp(this.#now());
    const conditions = (rev.status.conditions ??= []);
    setCondition(conditions, { type: 'Ready', status: 'False', reason, message }, now);
    setCondition(conditions, { type: 'ContainerHealthy', status: 'False', reason, message }, now);
  }

  #afterRevisionChange(rev: Revision): void {
    const svc = this.#store.services.get(`${rev.metadata.namespace}/${rev.metadata.labels?.[LABELS.service] ?? ''}`);
    if (svc !== undefined) this.#reconcile(svc, true);
    this.#save();
  }

  #save(): void {
    this.#store.save().catch((err: unknown) => this.#log.error({ err, file: this.#store.file }, 'saving state failed'));
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  #stamp(): Stamp {
    return { now: timestamp(this.#now()), uid: this.#uid(), resourceVersion: this.#store.nextResourceVersion() };
  }

  #url(host: string): string {
    const port = new URL(this.#cp.routerUrl).port;
    return `http://${host}${port === '' ? '' : `:${port}`}`;
  }

  #get<T extends KnativeObject>(map: ReadonlyMap<string, T>, kind: T['kind'], ns: string, name: string): T {
    const o = map.get(`${ns}/${name}`);
    if (o === undefined) throw notFound(RESOURCES[kind], name);
    return o;
  }

  /** A Revision with what the control plane knows now: pod counts and Knative's `Active` condition. */
  #live(rev: Revision): Revision {
    const st = this.#cp.revisionStatus(key(rev));
    const actual = st?.actualPods ?? 0;
    const conditions = structuredClone(rev.status.conditions ?? []);
    const now = timestamp(this.#now());
    const active: ConditionInput =
      actual > 0
        ? { type: 'Active', status: 'True', severity: 'Info' }
        : { type: 'Active', status: 'False', severity: 'Info', reason: 'NoTraffic', message: 'The target is not receiving traffic.' };
    setCondition(conditions, active, now);
    return {
      ...rev,
      status: { ...rev.status, conditions, actualReplicas: actual, desiredReplicas: st?.desiredPods ?? 0, ...(st !== undefined && { live: st.live }) },
    };
  }
}

function key(o: KnativeObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

function setMaps(o: Service, labels: Record<string, string>, annotations: Record<string, string>): void {
  if (Object.keys(labels).length > 0) o.metadata.labels = labels;
  else delete o.metadata.labels;
  if (Object.keys(annotations).length > 0) o.metadata.annotations = annotations;
  else delete o.metadata.annotations;
}

function list<T extends KnativeObject>(map: ReadonlyMap<string, T>, ns: string | undefined, selector: LabelSelector): T[] {
  return [...map.values()]
    .filter((o) => ns === undefined || o.metadata.namespace === ns)
    .filter((o) => selector.every((s) => (o.metadata.labels?.[s.key] === s.value) === s.equal))
    .sort((a, b) => compare(a.metadata.namespace, b.metadata.namespace) || compare(a.metadata.name, b.metadata.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses `?labelSelector=` (`k=v`, `k==v`, `k!=v`, comma-separated). */
export function parseLabelSelector(s: string | undefined): LabelSelector {
  if (s === undefined || s.trim() === '') return [];
  return s.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(\S*)\s*$/.exec(part);
    if (m === null) throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${JSON.stringify(part)} (kdp supports k=v, k==v and k!=v)`);
    return { key: m[1] ?? '', value: m[3] ?? '', equal: m[2] !== '!=' };
  });
}

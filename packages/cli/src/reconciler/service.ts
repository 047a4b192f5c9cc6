// The Service, as Knative's service reconciler keeps it (serving pkg/reconciler/service): it owns one Configuration
// and one Route of its name, writes its template and traffic into them, and its status summarises theirs
// (ConfigurationsReady, RoutesReady, Ready). kdp also validates up front what Knative's reconcilers would only report.
import { conflict } from '../api-errors.js';
import { getCondition, readyStatus, setCondition, summarise } from '../objects/conditions.js';
import { jsonEqual, newConfiguration, newRoute, newService, timestamp } from '../objects/factory.js';
import type { ServiceInput } from '../objects/service-input.js';
import { RESOURCES, type Service } from '../objects/types.js';
import { configurationsReady, routesReady } from '../status.js';
import { adoptTemplate, planRevision, reconcileConfiguration, templateChanged } from './configuration.js';
import { key, stamp, type ReconcileEnv } from './env.js';
import type { RevisionLifecycle } from './revision.js';
import type { RouteReconciler } from './route.js';

export class ServiceReconciler {
  readonly #env: ReconcileEnv;
  readonly #routes: RouteReconciler;
  readonly #revisions: RevisionLifecycle;

  constructor(env: ReconcileEnv, routes: RouteReconciler, revisions: RevisionLifecycle) {
    this.#env = env;
    this.#routes = routes;
    this.#revisions = revisions;
  }

  /**
   * Creates or updates the Service from `input`, and with it its Configuration (a new Revision when the template
   * changed) and Route. Everything is validated before anything changes.
   */
  apply(ns: string, input: ServiceInput, existing: Service | undefined): Service {
    const { store } = this.#env;
    const name = input.name;
    const k = `${ns}/${name}`;
    if (existing !== undefined && input.resourceVersion !== '' && input.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(RESOURCES.Service, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const cfg = store.configurations.get(k);
    const template = input.spec.template;
    const changed = templateChanged(cfg, template, existing);
    if (
      existing !== undefined &&
      jsonEqual(existing.spec, input.spec) &&
      jsonEqual(existing.metadata.labels ?? {}, input.labels) &&
      jsonEqual(existing.metadata.annotations ?? {}, input.annotations)
    ) {
      return existing;
    }
    const plan = planRevision(this.#env, ns, name, cfg, template, changed);
    const revisionName = plan.revisionName;
    this.#routes.checkTraffic(ns, input, revisionName);

    // Commit. Objects first, so events the control plane may emit while adding find them.
    const svc = existing ?? newService(ns, name, input.labels, input.annotations, input.spec, stamp(this.#env));
    if (existing !== undefined) {
      existing.metadata.generation += 1;
      existing.metadata.resourceVersion = store.nextResourceVersion();
      setMaps(existing, input.labels, input.annotations);
      existing.spec = input.spec;
    }
    store.services.set(k, svc);
    const config = cfg ?? newConfiguration(svc, stamp(this.#env));
    const superseded = revisionName === undefined ? undefined : config.status.latestCreatedRevisionName;
    const route = store.routes.get(k) ?? newRoute(svc, stamp(this.#env));
    if (!jsonEqual(route.spec.traffic, input.spec.traffic) || route.metadata.generation === 0) {
      route.spec = { traffic: input.spec.traffic };
      route.metadata.generation += 1;
    }
    store.routes.set(k, route);
    store.configurations.set(k, config);
    adoptTemplate(this.#env, config, svc, template, plan);
    // A new revision starts (and an old one named by the traffic comes back) before the route can point at it.
    if (revisionName !== undefined) {
      const rev = store.revisions.get(`${ns}/${revisionName}`);
      if (rev !== undefined) this.#revisions.ensureAdded(rev);
    }
    this.reconcile(svc, true);
    if (superseded !== undefined && superseded !== revisionName) this.#retire(ns, name, superseded);
    return svc;
  }

  /**
   * Recomputes the Configuration, Route and Service statuses of `svc`; with `push`, swaps the router's table if what
   * the route serves changed.
   */
  reconcile(svc: Service, push: boolean): void {
    const k = key(svc);
    const now = timestamp(this.#env.now());
    const cfg = this.#env.store.configurations.get(k);
    const route = this.#env.store.routes.get(k);
    if (cfg === undefined || route === undefined) return;

    // Configuration: Ready follows the latest created revision; @latest moves once that one is ready.
    const cfgReady = reconcileConfiguration(this.#env, cfg, now);
    // Route: resolve the traffic; while it is blocked the previous split keeps serving.
    const routed = this.#routes.reconcile(route, now);

    // Service: a summary of both.
    const lc = cfg.status.latestCreatedRevisionName;
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
    st.url = routed.url;
    st.address = { url: routed.url };
    if (route.status.traffic !== undefined) st.traffic = route.status.traffic;
    const conditions = (st.conditions ??= []);
    setCondition(conditions, configsCond, now);
    setCondition(conditions, routesCond, now);
    setCondition(conditions, summarise([configsCond, routesCond]), now);

    if (routed.changed) {
      this.#env.log.info({ route: k, split: routed.serving?.split, tags: routed.serving?.tags }, 'route changed');
      if (push) this.#routes.push();
    }
  }

  /**
   * A latest revision replaced before it ever became ready (still starting, or failing and being retried) is stopped:
   * nothing can route to it, and a crash-looping process should not outlive the template that made it. Its status
   * stays as it was; traffic naming it later brings it back (RevisionLifecycle.ensureAdded).
   */
  #retire(ns: string, service: string, revision: string): void {
    const rev = this.#env.store.revisions.get(`${ns}/${revision}`);
    if (rev === undefined || readyStatus(rev.status.conditions) === 'True') return;
    if (this.#routes.holds(ns, service, revision)) return;
    this.#env.log.info({ revision: `${ns}/${revision}` }, 'stopping superseded revision that never became ready');
    void this.#revisions.remove(`${ns}/${revision}`);
  }
}

function setMaps(o: Service, labels: Record<string, string>, annotations: Record<string, string>): void {
  if (Object.keys(labels).length > 0) o.metadata.labels = labels;
  else delete o.metadata.labels;
  if (Object.keys(annotations).length > 0) o.metadata.annotations = annotations;
  else delete o.metadata.annotations;
}

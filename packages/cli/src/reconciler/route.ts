// The Route, as Knative's route reconciler keeps it (serving pkg/reconciler/route): `spec.traffic` resolved against
// the revisions and configurations of its namespace (`@latest` is the latest *ready* revision), the result written to
// its status and, as the whole table of every route, to the control plane's router. While the traffic cannot be
// resolved (a revision not ready yet, or failed) the previous split keeps serving (settleRoute).
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
import { getCondition, readyStatus, setCondition } from '../objects/conditions.js';
import { jsonEqual } from '../objects/factory.js';
import { InvalidObjectError, type ServiceInput } from '../objects/service-input.js';
import { LABELS, type Route } from '../objects/types.js';
import { servedRevisions, servingFromStatus, statusTraffic } from '../status.js';
import { key, routerUrl, type ReconcileEnv } from './env.js';
import type { RevisionLifecycle } from './revision.js';

/** What a route reconcile tells the Service. */
export interface RouteOutcome {
  /** `http://<route host>[:<router port>]`. */
  readonly url: string;
  /** What the route serves changed (the router's table needs the new split). */
  readonly changed: boolean;
  readonly serving: ResolvedTraffic | undefined;
}

export class RouteReconciler {
  readonly #env: ReconcileEnv;
  readonly #revisions: RevisionLifecycle;
  /** What each route serves now (`namespace/name`), i.e. what the control plane's route table holds. */
  readonly #serving = new Map<string, ResolvedTraffic>();

  constructor(env: ReconcileEnv, revisions: RevisionLifecycle) {
    this.#env = env;
    this.#revisions = revisions;
  }

  /** At start: what the route served when the state was saved serves again. */
  restore(route: Route): void {
    const serving = servingFromStatus(route.status.traffic ?? []);
    if (serving !== undefined) this.#serving.set(key(route), serving);
  }

  forget(routeKey: string): void {
    this.#serving.delete(routeKey);
  }

  /** The route of `service` names `revision` in its traffic, or serves it now. */
  holds(ns: string, service: string, revision: string): boolean {
    const serving = this.#serving.get(`${ns}/${service}`);
    const pinned = this.#env.store.routes.get(`${ns}/${service}`)?.spec.traffic.some((t) => t.revisionName === revision) ?? false;
    return pinned || (serving !== undefined && servedRevisions(serving).includes(revision));
  }

  /**
   * Traffic problems Knative's webhook lets through but its route reconciler then reports (RevisionMissing,
   * RevisionNotOwned, a failed revision, a tag host that is not a valid name): kdp refuses them up front, so the
   * CLI can say what is wrong instead of waiting for a route that cannot become ready.
   */
  checkTraffic(ns: string, input: ServiceInput, creating: string | undefined): void {
    const { store, cp } = this.#env;
    const issues: FieldIssue[] = [];
    input.spec.traffic.forEach((t, i) => {
      const at = `spec.traffic[${i}]`;
      const rev = t.revisionName;
      if (rev !== undefined && rev !== creating) {
        const obj = store.revisions.get(`${ns}/${rev}`);
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
        const problem = hostProblem(tagHost(t.tag, input.name, ns, cp.domain));
        if (problem !== undefined) issues.push({ message: problem, paths: [`${at}.tag`] });
      }
    });
    const problem = hostProblem(routeHost(input.name, ns, cp.domain));
    if (problem !== undefined) issues.push({ message: problem, paths: ['metadata.name'] });
    if (issues.length > 0) throw new InvalidObjectError(issues);
  }

  /** Resolves the route's traffic and writes its status; the router's table is left to `push`. */
  reconcile(route: Route, now: string): RouteOutcome {
    const { store, cp } = this.#env;
    const ns = route.metadata.namespace;
    const name = route.metadata.name;
    const k = key(route);
    // Revisions pinned by the traffic must run (a reserve revision comes back when traffic names it again).
    for (const t of route.spec.traffic) {
      const rev = t.revisionName === undefined ? undefined : store.revisions.get(`${ns}/${t.revisionName}`);
      if (rev !== undefined) this.#revisions.ensureAdded(rev);
    }

    const previous = this.#serving.get(k);
    const resolution = resolveTraffic(route.spec.traffic, this.#sources(ns), { serviceName: name });
    const settled = settleRoute(previous, resolution);
    const url = routerUrl(this.#env, routeHost(name, ns, cp.domain));
    route.status.observedGeneration = route.metadata.generation;
    route.status.url = url;
    route.status.address = { url };
    for (const c of settled.conditions) setCondition((route.status.conditions ??= []), c, now);
    if (settled.serving !== undefined) {
      route.status.traffic = statusTraffic(settled.serving, (tag) => routerUrl(this.#env, tagHost(tag, name, ns, cp.domain)));
      for (const rev of servedRevisions(settled.serving)) {
        const obj = store.revisions.get(`${ns}/${rev}`);
        if (obj !== undefined) this.#revisions.ensureAdded(obj);
      }
    }
    const changed = !jsonEqual(previous, settled.serving);
    if (settled.serving !== undefined) this.#serving.set(k, settled.serving);
    return { url, changed, serving: settled.serving };
  }

  /** Swaps the control plane's whole route table for what every route serves now. */
  push(): void {
    const routes: RouteInput[] = [];
    for (const [k, serving] of this.#serving) {
      const route = this.#env.store.routes.get(k);
      if (route === undefined) continue;
      routes.push({ namespace: route.metadata.namespace, name: route.metadata.name, split: serving.split, tags: serving.tags });
    }
    try {
      this.#env.cp.setRoutes(routes);
    } catch (err) {
      // Traffic is validated before it is stored, so this is a kdp bug; the previous table keeps serving.
      this.#env.log.error({ err }, 'route table rejected');
    }
  }

  /** The revisions and configurations of `ns` as the traffic resolution sees them. */
  #sources(ns: string): TrafficSources {
    const revisions = new Map<string, RevisionState>();
    for (const r of this.#env.store.revisions.values()) {
      if (r.metadata.namespace !== ns) continue;
      const labels = r.metadata.labels ?? {};
      revisions.set(r.metadata.name, {
        ready: readyStatus(r.status.conditions),
        ...(labels[LABELS.configuration] !== undefined && { configurationName: labels[LABELS.configuration] }),
        ...(labels[LABELS.service] !== undefined && { serviceName: labels[LABELS.service] }),
      });
    }
    const configurations = new Map<string, ConfigurationState>();
    for (const c of this.#env.store.configurations.values()) {
      if (c.metadata.namespace !== ns) continue;
      configurations.set(c.metadata.name, {
        ready: readyStatus(c.status.conditions),
        ...(c.status.latestReadyRevisionName !== undefined && { latestReadyRevisionName: c.status.latestReadyRevisionName }),
      });
    }
    return { revisions, configurations };
  }
}

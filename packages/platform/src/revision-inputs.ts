/**
 * What each component needs of a Revision snapshot, and which revisions the routes reach. The annotations go to the
 * autoscaler untouched: it owns their names (`ANNOTATIONS`, Knative's plus `kdp.dev/scale-to-zero-grace-period`),
 * defaults and validation; `containerConcurrency` and the timeouts come from the Revision spec.
 */
import type { RevisionSpec } from '@kdp/activator';
import type { RevisionInput as AutoscalerRevisionInput } from '@kdp/autoscaler';
import type { RouteInput } from '@kdp/router';
import type { Revision } from '@kdp/runtime';
import type { RevisionRuntimeStatus } from './control-plane-api.js';

/** The activator's view: container concurrency (throttling, load-balancing policy) and the request timeouts. */
export function activatorSpecOf(rev: Revision): RevisionSpec {
  return {
    namespace: rev.namespace,
    name: rev.name,
    containerConcurrency: rev.containerConcurrency,
    timeoutSeconds: rev.timeoutSeconds,
    ...(rev.responseStartTimeoutSeconds === undefined ? {} : { responseStartTimeoutSeconds: rev.responseStartTimeoutSeconds }),
    ...(rev.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: rev.idleTimeoutSeconds }),
  };
}

/** The autoscaler's view: annotations, container concurrency (target and capacity) and reachability. */
export function autoscalerInputOf(rev: Revision, reachable: boolean): AutoscalerRevisionInput {
  return { annotations: rev.annotations, containerConcurrency: rev.containerConcurrency, reachable };
}

/** `namespace/name` of every revision a route sends traffic to (split or tag). */
export function routedRevisions(routes: readonly RouteInput[]): Set<string> {
  const out = new Set<string>();
  for (const r of routes) {
    for (const s of r.split) out.add(`${r.namespace}/${s.revisionName}`);
    for (const t of r.tags ?? []) out.add(`${r.namespace}/${t.revisionName}`);
  }
  return out;
}

/**
 * Knative's routing state (serving `pkg/reconciler/labeler`, `revision/resources/pa.go` `reachability`): a revision
 * no route has referenced yet is `pending` and counts as reachable; once referenced it is `active`; when the routes
 * drop it, it becomes `reserve`, i.e. unreachable: min-scale and the pod retention period stop applying and it may
 * scale straight to zero.
 */
export type RoutingState = RevisionRuntimeStatus['routingState'];

export function nextRoutingState(previous: RoutingState, routedNow: boolean): RoutingState {
  if (routedNow) return 'active';
  return previous === 'pending' ? 'pending' : 'reserve';
}

export function isReachable(state: RoutingState): boolean {
  switch (state) {
    case 'pending':
    case 'active':
      return true;
    case 'reserve':
      return false;
  }
}

// Pure status computations of the reconciler: what a Configuration, Route and Service report, given the objects
// they depend on. Wording and reasons follow serving pkg/apis/serving/v1 configuration_lifecycle.go,
// route_lifecycle.go and service_lifecycle.go, so `kn` users see the messages they know.

import type { ResolvedTraffic, TagTarget, WeightedRevision } from '@kdp/router';
import { getCondition, type ConditionInput } from './objects/conditions.js';
import type { Revision, TrafficTarget } from './objects/types.js';

/** service_lifecycle.go MarkConfigurationNotReconciled. */
export const CONFIGURATION_OUT_OF_DATE = 'The Configuration is still working to reflect the latest desired specification.';
/** service_lifecycle.go MarkRouteNotYetReady. */
export const TRAFFIC_NOT_MIGRATED = 'Traffic is not yet migrated to the latest revision.';

/** The Configuration's Ready: its latest created revision's readiness (configuration_lifecycle.go). */
export function configurationReady(latestCreated: string | undefined, rev: Revision | undefined): ConditionInput {
  const ready = getCondition(rev?.status.conditions, 'Ready');
  if (latestCreated === undefined || rev === undefined || ready === undefined || ready.status === 'Unknown') {
    return { type: 'Ready', status: 'Unknown' };
  }
  if (ready.status === 'True') return { type: 'Ready', status: 'True' };
  // MarkLatestCreatedFailed.
  return {
    type: 'Ready',
    status: 'False',
    reason: 'RevisionFailed',
    message: `Revision ${JSON.stringify(latestCreated)} failed with message: ${ready.message ?? ready.reason ?? 'unknown'}.`,
  };
}

/** The Service's ConfigurationsReady, from the Configuration's Ready (service_lifecycle.go PropagateConfigurationStatus). */
export function configurationsReady(cfgReady: ConditionInput): ConditionInput {
  switch (cfgReady.status) {
    case 'True':
      return { type: 'ConfigurationsReady', status: 'True' };
    case 'False':
      return { type: 'ConfigurationsReady', status: 'False', reason: cfgReady.reason, message: cfgReady.message };
    case 'Unknown':
      return { type: 'ConfigurationsReady', status: 'Unknown', reason: 'OutOfDate', message: CONFIGURATION_OUT_OF_DATE };
  }
}

/**
 * The Service's RoutesReady: the Route's Ready, and while that is True, whether every `@latest` target already
 * serves the latest created revision (service reconciler checkRoutesNotReady).
 */
export function routesReady(routeReady: ConditionInput, traffic: readonly TrafficTarget[], latestCreated: string | undefined): ConditionInput {
  if (routeReady.status !== 'True') {
    return { type: 'RoutesReady', status: routeReady.status, reason: routeReady.reason, message: routeReady.message };
  }
  const migrated = traffic.every((t) => t.latestRevision !== true || t.revisionName === latestCreated);
  return migrated
    ? { type: 'RoutesReady', status: 'True' }
    : { type: 'RoutesReady', status: 'Unknown', reason: 'TrafficNotMigrated', message: TRAFFIC_NOT_MIGRATED };
}

/** `status.traffic` of a Route and its Service: what the route serves, tagged targets with their URL. */
export function statusTraffic(serving: ResolvedTraffic, tagUrl: (tag: string) => string): TrafficTarget[] {
  return serving.targets.map((t) => {
    const out: TrafficTarget = {};
    if (t.tag !== undefined) out.tag = t.tag;
    out.revisionName = t.revisionName;
    out.latestRevision = t.latest;
    out.percent = t.percent;
    if (t.tag !== undefined) out.url = tagUrl(t.tag);
    return out;
  });
}

/**
 * What a route served before a restart, rebuilt from its `status.traffic`, grouped as the router's resolver groups
 * a resolution (every target in the default split, summed per revision, a single revision at 100 %, zero shares
 * left out; one entry per tag).
 */
export function servingFromStatus(traffic: readonly TrafficTarget[]): ResolvedTraffic | undefined {
  const targets = traffic.filter((t) => t.revisionName !== undefined && t.revisionName !== '');
  if (targets.length === 0) return undefined;
  const byRevision = new Map<string, number>();
  for (const t of targets) {
    const name = t.revisionName ?? '';
    byRevision.set(name, (byRevision.get(name) ?? 0) + (t.percent ?? 0));
  }
  const split: WeightedRevision[] =
    byRevision.size === 1
      ? [...byRevision.keys()].map((revisionName) => ({ revisionName, percent: 100 }))
      : [...byRevision].filter(([, p]) => p > 0).map(([revisionName, percent]) => ({ revisionName, percent }));
  const tags: TagTarget[] = targets.flatMap((t) => (t.tag === undefined || t.tag === '' ? [] : [{ tag: t.tag, revisionName: t.revisionName ?? '' }]));
  return {
    targets: targets.map((t) => ({
      revisionName: t.revisionName ?? '',
      percent: t.percent ?? 0,
      latest: t.latestRevision === true,
      ...(t.tag !== undefined && t.tag !== '' && { tag: t.tag }),
    })),
    split,
    tags,
  };
}

/** Every revision a serving route sends requests to (default split and tags). */
export function servedRevisions(serving: ResolvedTraffic): string[] {
  return [...new Set([...serving.split.map((s) => s.revisionName), ...serving.tags.map((t) => t.revisionName)])];
}

// From a validated `spec.traffic` to concrete revisions: what the route serves by default (the split), what each
// tag serves, and the Route conditions when some target cannot take traffic. Mirrors knative/serving
// pkg/reconciler/route/traffic/traffic.go (BuildTrafficConfiguration), traffic/errors.go, the bad-target branch of
// pkg/reconciler/route/route.go (configureTraffic) and the Mark* messages of pkg/apis/serving/v1/route_lifecycle.go.

import { goQuote } from './k8s-names.js';
import { defaultTraffic, type TrafficContext, type TrafficTarget } from './traffic.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** What the resolver needs to know about a Revision. */
export interface RevisionState {
  /** The Revision's Ready condition status. */
  readonly ready: ConditionStatus;
  /** `serving.knative.dev/configuration` label. */
  readonly configurationName?: string;
  /** `serving.knative.dev/service` label. */
  readonly serviceName?: string;
}

/** What the resolver needs to know about a Configuration. */
export interface ConfigurationState {
  readonly ready: ConditionStatus;
  /** `status.latestReadyRevisionName`: where `@latest` points. */
  readonly latestReadyRevisionName?: string;
}

/** The objects a route's traffic can name, in the route's namespace. */
export interface TrafficSources {
  readonly revisions: ReadonlyMap<string, RevisionState>;
  readonly configurations: ReadonlyMap<string, ConfigurationState>;
}

/** A `status.traffic` entry: one target flattened to its revision. */
export interface ResolvedTarget {
  readonly revisionName: string;
  readonly percent: number;
  readonly tag?: string;
  /** The target follows the configuration (`latestRevision: true`). */
  readonly latest: boolean;
}

export interface WeightedRevision {
  readonly revisionName: string;
  /** 1..100; the split's percents sum to 100. */
  readonly percent: number;
}

/** A tag's own route: its host (and `Knative-Serving-Tag` header) sends 100 % to one revision. */
export interface TagTarget {
  readonly tag: string;
  readonly revisionName: string;
}

export interface ResolvedTraffic {
  /** `status.traffic`, in spec order; same tag, revision and latest-ness merged. */
  readonly targets: readonly ResolvedTarget[];
  /** The default host's split: revisions with a non-zero share, in order of first mention. */
  readonly split: readonly WeightedRevision[];
  /** One per tag, in spec order. */
  readonly tags: readonly TagTarget[];
}

/** Why a route cannot take its new traffic: Knative's `AllTrafficAssigned` condition when it is not True. */
export interface TrafficProblem {
  readonly status: 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export interface MissingTarget {
  readonly kind: 'Revision' | 'Configuration';
  readonly name: string;
}

export type TrafficResolution =
  | { readonly kind: 'assigned'; readonly traffic: ResolvedTraffic }
  | {
      readonly kind: 'blocked';
      readonly problem: TrafficProblem;
      /** Every named object that does not exist (what `kdp` reports as unknown revisions). */
      readonly missing: readonly MissingTarget[];
    };

// Knative's TargetError: `failure` errors (missing objects, failed revisions) replace an earlier deferred error;
// others (still becoming ready) only count when nothing was deferred yet.
interface TargetError {
  readonly problem: TrafficProblem;
  readonly failure: boolean;
}

function missing(kind: MissingTarget['kind'], name: string): TargetError {
  return {
    failure: true,
    problem: { status: 'False', reason: `${kind}Missing`, message: `${kind} ${goQuote(name)} referenced in traffic not found.` },
  };
}

function unreadyConfiguration(name: string, ready: ConditionStatus): TargetError {
  return ready === 'False'
    ? {
        failure: true,
        problem: { status: 'False', reason: 'RevisionMissing', message: `Configuration ${goQuote(name)} does not have any ready Revision.` },
      }
    : {
        failure: false,
        problem: {
          status: 'Unknown',
          reason: 'RevisionMissing',
          message: `Configuration ${goQuote(name)} is waiting for a Revision to become ready.`,
        },
      };
}

function unreadyRevision(name: string, ready: ConditionStatus): TargetError {
  return ready === 'False'
    ? {
        failure: true,
        problem: { status: 'False', reason: 'RevisionMissing', message: `Revision ${goQuote(name)} failed to become ready.` },
      }
    : {
        failure: false,
        problem: { status: 'Unknown', reason: 'RevisionMissing', message: `Revision ${goQuote(name)} is not yet ready.` },
      };
}

function notOwned(revision: string, expected: string, actual: string): TargetError {
  const message =
    actual === ''
      ? `Revision ${goQuote(revision)} does not belong to Service ${goQuote(expected)}.`
      : `Revision ${goQuote(revision)} belongs to Service ${goQuote(actual)}, not Service ${goQuote(expected)}.`;
  return { failure: true, problem: { status: 'False', reason: 'RevisionNotOwned', message } };
}

interface Flattened {
  readonly tag: string;
  readonly revisionName: string;
  readonly percent: number;
  readonly latest: boolean;
}

/**
 * Resolve a traffic spec that passed `validateTraffic` against the current revisions and configurations.
 * `@latest` (a `latestRevision` target) becomes the configuration's latest ready revision. Any target that cannot
 * take traffic (missing, not ready, failed, another Service's) blocks the whole spec, as in Knative: nothing of it
 * is served, and `settleRoute` keeps the previous traffic.
 */
export function resolveTraffic(
  traffic: readonly TrafficTarget[],
  sources: TrafficSources,
  ctx: TrafficContext = {},
): TrafficResolution {
  const missingTargets: MissingTarget[] = [];
  const flattened: Flattened[] = [];
  let deferred: TargetError | undefined;

  const fail = (err: TargetError, miss?: MissingTarget): void => {
    if (miss !== undefined) missingTargets.push(miss);
    if (deferred === undefined || err.failure) deferred = err;
  };

  for (const t of defaultTraffic(traffic, ctx)) {
    if (t.revisionName !== '') {
      const rev = sources.revisions.get(t.revisionName);
      if (rev === undefined) {
        fail(missing('Revision', t.revisionName), { kind: 'Revision', name: t.revisionName });
        continue;
      }
      const owner = ctx.serviceName;
      if (owner !== undefined && (rev.serviceName ?? '') !== owner) {
        fail(notOwned(t.revisionName, owner, rev.serviceName ?? ''));
        continue;
      }
      if (rev.ready !== 'True') {
        fail(unreadyRevision(t.revisionName, rev.ready));
        continue;
      }
      // Knative also looks up the revision's configuration and fails the target if it is gone.
      const cfgName = rev.configurationName;
      if (cfgName !== undefined && !sources.configurations.has(cfgName)) {
        fail(missing('Configuration', cfgName), { kind: 'Configuration', name: cfgName });
        continue;
      }
      flattened.push({ tag: t.tag, revisionName: t.revisionName, percent: t.percent, latest: t.latestRevision });
    } else if (t.configurationName !== '') {
      const cfg = sources.configurations.get(t.configurationName);
      if (cfg === undefined) {
        fail(missing('Configuration', t.configurationName), { kind: 'Configuration', name: t.configurationName });
        continue;
      }
      const latest = cfg.latestReadyRevisionName ?? '';
      if (latest === '') {
        fail(unreadyConfiguration(t.configurationName, cfg.ready));
        continue;
      }
      const rev = sources.revisions.get(latest);
      if (rev === undefined) {
        fail(missing('Revision', latest), { kind: 'Revision', name: latest });
        continue;
      }
      if (rev.ready !== 'True') {
        fail(unreadyRevision(latest, rev.ready));
        continue;
      }
      flattened.push({ tag: t.tag, revisionName: latest, percent: t.percent, latest: t.latestRevision });
    }
  }

  if (deferred !== undefined) return { kind: 'blocked', problem: deferred.problem, missing: missingTargets };
  return { kind: 'assigned', traffic: group(flattened) };
}

function group(flattened: readonly Flattened[]): ResolvedTraffic {
  // status.traffic: mergeIfNecessary (same tag, revision and latest-ness → percents added).
  const targets: { revisionName: string; percent: number; tag: string; latest: boolean }[] = [];
  for (const f of flattened) {
    const same = targets.find((t) => t.tag === f.tag && t.revisionName === f.revisionName && t.latest === f.latest);
    if (same === undefined) targets.push({ ...f });
    else same.percent += f.percent;
  }

  // The default group holds every target, tagged or not, consolidated per revision; a group with one revision
  // gets 100 % (consolidate). Zero shares are left out of the split, as Knative leaves them out of the ingress.
  const byRevision = new Map<string, number>();
  for (const f of flattened) byRevision.set(f.revisionName, (byRevision.get(f.revisionName) ?? 0) + f.percent);
  const split: WeightedRevision[] =
    byRevision.size === 1
      ? [...byRevision.keys()].map((revisionName) => ({ revisionName, percent: 100 }))
      : [...byRevision].filter(([, p]) => p > 0).map(([revisionName, percent]) => ({ revisionName, percent }));

  // Tags are unique (validated), so each tag group is one revision at 100 %.
  const tags: TagTarget[] = flattened.filter((f) => f.tag !== '').map((f) => ({ tag: f.tag, revisionName: f.revisionName }));

  return {
    targets: targets.map((t) =>
      t.tag === ''
        ? { revisionName: t.revisionName, percent: t.percent, latest: t.latest }
        : { revisionName: t.revisionName, percent: t.percent, tag: t.tag, latest: t.latest },
    ),
    split,
    tags,
  };
}

export interface RouteCondition {
  readonly type: 'AllTrafficAssigned' | 'Ready';
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
}

export interface SettledRoute {
  /** What the route table should serve now: the new traffic, or the previous one while the new one is blocked. */
  readonly serving: ResolvedTraffic | undefined;
  /** `AllTrafficAssigned`, then `Ready`. */
  readonly conditions: readonly [RouteCondition, RouteCondition];
}

/**
 * Apply a resolution to a route that served `previous`. Blocked: Knative marks `AllTrafficAssigned` (False for a
 * failure, Unknown while a revision is still becoming ready), leaves `status.traffic` and the ingress as they were,
 * so the previous split keeps serving; a route that never served has nothing (404). `Ready` follows
 * `AllTrafficAssigned`, because the in-process table is the ingress and is ready as soon as it is swapped.
 */
export function settleRoute(previous: ResolvedTraffic | undefined, resolution: TrafficResolution): SettledRoute {
  switch (resolution.kind) {
    case 'assigned':
      return {
        serving: resolution.traffic,
        conditions: [
          { type: 'AllTrafficAssigned', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
      };
    case 'blocked': {
      const { status, reason, message } = resolution.problem;
      return {
        serving: previous,
        conditions: [
          { type: 'AllTrafficAssigned', status, reason, message },
          { type: 'Ready', status, reason, message },
        ],
      };
    }
  }
}

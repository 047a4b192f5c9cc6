/**
 * A revision's `RevisionRuntimeStatus`, read from every component that knows part of it: the runtime (pods and their
 * phases, the last failure), the pod table (readiness), the autoscaler (desired scale, what it observed) and the
 * activator (ready pods, in-flight and queued requests, the last cold start, the request histogram the live
 * numbers come from). Off the request path: the object layer reads it for status output.
 */
import type { Clock } from '@kdp/core';
import type { PodRuntimeStatus, RevisionRuntimeStatus } from './control-plane-api.js';
import type { LiveStats } from './live-stats.js';
import type { RoutingState } from './revision-inputs.js';
import type { DataPath } from './wiring.js';

/** What the registry itself keeps of a revision. */
export interface RegistryFacts {
  readonly everReady: boolean;
  readonly routing: RoutingState;
}

/** The status of `key`, which the runtime must know (`supervisor.has(key)`). */
export function revisionRuntimeStatus(
  key: string,
  facts: RegistryFacts,
  { supervisor, pods, autoscaler, activator }: DataPath,
  live: LiveStats,
  clock: Clock,
): RevisionRuntimeStatus {
  const rs = supervisor.status(key);
  const podList: PodRuntimeStatus[] = [];
  let actual = rs.creating;
  for (const p of rs.pods) {
    switch (p.phase) {
      case 'starting':
      case 'running':
        actual++;
        break;
      case 'draining':
        break;
      case 'stopped':
      case 'failed':
        continue;
    }
    podList.push({
      name: p.name,
      phase: p.phase,
      ready: pods.get(key, p.name)?.ready ?? false,
      address: p.address,
      pids: p.pids,
    });
  }
  const failure = rs.lastFailure;
  const as = autoscaler.status(key);
  const entry = activator.revisions.get(key);
  const now = clock.now();
  let window = null;
  if (entry !== undefined) {
    const totals = entry.metrics.requestTotals();
    // A revision added since the last tick starts its ring now.
    window = live.numbers(key, totals, now);
    if (window === null) live.sample(key, totals, now);
  }
  const cold = entry?.lastColdStart ?? null;
  return {
    key,
    everReady: facts.everReady,
    readyPods: activator.revisions.get(key)?.throttler.readyPods ?? 0,
    actualPods: actual,
    desiredPods: as?.desiredScale ?? 0,
    failure: failure === undefined ? null : { reason: failure.reason, message: failure.message },
    pods: podList,
    routingState: facts.routing,
    autoscaling:
      as === undefined
        ? null
        : {
            metric: as.settings.metric,
            stable: as.observedStable,
            panic: as.observedPanic,
            target: as.settings.targetValue,
            panicking: as.panicking,
          },
    live: {
      inFlight: entry?.throttler.active ?? 0,
      queued: entry?.throttler.queued ?? 0,
      windowS: window?.windowS ?? null,
      rps: window?.rps ?? null,
      p50Ms: window?.p50Ms ?? null,
      p99Ms: window?.p99Ms ?? null,
      lastColdStart:
        cold === null
          ? null
          : {
              agoS: Math.max(0, Math.round((now - cold.atMs) / 1000)),
              totalMs: cold.totalMs,
              podStartMs: cold.podStartMs,
              appReadyMs: cold.appReadyMs,
              firstByteMs: cold.firstByteMs,
            },
    },
  };
}

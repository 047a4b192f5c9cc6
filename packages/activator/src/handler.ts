/**
 * The activator's handler chain, composed once at setup as Knative composes it (cmd/activator/main.go,
 * docs/contract/activator-autoscaler-routing.md §1.1): innermost first, so the last stage built runs first.
 * A request goes health (kubelet probes) → network probe (`K-Network-Probe: probe`) → probe (`activator`) →
 * context (which revision; 404) → concurrency reporter (counted in, the request's record) → request metrics →
 * timeouts → throttle (wait for a slot and a pod; cold start; failover) → proxy (`ex.forward` to the pod's
 * queue-proxy), and ends back up the same list (`RequestStage.finish`). Each stage is one file in `chain/`, with
 * its test beside it.
 *
 * Two entry points share everything but the context handler: `handle(ex, revKey)` for the in-process platform (the
 * router already knows the revision) and `handler`, an ExchangeHandler for the standalone server (the revision
 * comes from headers or Host). Per request this allocates one `ActivatorRequest` (plus the K-Original-Host pair
 * when it moves the Host); headers, edits and timeouts are built at setup or per revision.
 */
import { errorHeaders } from '@kdp/core';
import type { Exchange, ExchangeHandler, Logger } from '@kdp/core';
import type { Clock } from './clock.js';
import { concurrencyReporter } from './chain/concurrency-reporter.js';
import { contextFromKey, contextFromRequest } from './chain/context.js';
import { healthHandler } from './chain/health.js';
import { networkProbeHandler } from './chain/network-probe.js';
import { probeHandler } from './chain/probe.js';
import { ProxyStage } from './chain/proxy.js';
import type { KeyedHandler, RequestStage } from './chain/request.js';
import { RequestMetricsStage } from './chain/request-metrics.js';
import { ThrottleStage } from './chain/throttle.js';
import { TimeoutStage } from './chain/timeout.js';
import type { ConcurrencyReporter } from './reporter.js';
import type { Revisions } from './revisions.js';

export interface ActivatorHandlerDeps {
  readonly revisions: Revisions;
  readonly reporter: ConcurrencyReporter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Standalone Host fallback `<rev>.<ns>.svc.<clusterDomain>`; default `cluster.local`. */
  readonly clusterDomain?: string;
  /** `Retry-After` of the buffer-full 503, in seconds; default 1. */
  readonly retryAfterSeconds?: number;
}

export interface ActivatorHandler {
  /** In-process entry: serve `ex` for the revision `namespace/name`. Owns `ex.state` and `ex.onFinish`. */
  readonly handle: (ex: Exchange, revKey: string) => void;
  /** Standalone entry: the revision comes from `Knative-Serving-*` headers or the Host. */
  readonly handler: ExchangeHandler;
  /** SIGTERM: kubelet probes answer 503 from now on; requests are still served. */
  drain(): void;
  readonly draining: boolean;
}

export function createActivatorHandler(deps: ActivatorHandlerDeps): ActivatorHandler {
  const { revisions, reporter, clock, logger } = deps;
  const clusterDomain = deps.clusterDomain ?? 'cluster.local';
  const retryAfter = deps.retryAfterSeconds ?? 1;
  if (!Number.isInteger(retryAfter) || retryAfter < 0) {
    throw new RangeError(`retryAfterSeconds must be a non-negative integer, got ${String(retryAfter)}`);
  }
  const overloaded: readonly string[] = Object.freeze([...errorHeaders('overloaded'), 'Retry-After', String(retryAfter)]);
  const drain = { draining: false };

  // Innermost first: the last handler built is the first a request meets.   Knative (cmd/activator/main.go):
  let stage: RequestStage = new ProxyStage(); //                             activation handler: proxy
  stage = new ThrottleStage({ revisions, reporter, logger, overloaded }, stage); // activation handler: throttler.Try
  stage = new TimeoutStage(stage); //                                        NewTimeoutHandler
  stage = new RequestMetricsStage(stage); //                                 NewMetricHandler
  const counted = concurrencyReporter(reporter, clock, stage); //            concurrencyReporter.Handler

  // In-process entry: the router already found the revision.
  let handle: KeyedHandler<string> = contextFromKey(revisions, logger, counted); // NewContextHandler
  handle = probeHandler(handle); //                                          ProbeHandler
  handle = networkProbeHandler(handle); //                                   network.NewProbeHandler
  handle = healthHandler(drain, handle); //                                  HealthHandler

  // Standalone entry: the same chain, the revision taken from the request.
  let handler: KeyedHandler<void> = contextFromRequest(revisions, clusterDomain, logger, counted);
  handler = probeHandler(handler);
  handler = networkProbeHandler(handler);
  handler = healthHandler(drain, handler);

  return {
    handle,
    handler,
    drain(): void {
      drain.draining = true;
    },
    get draining(): boolean {
      return drain.draining;
    },
  };
}

/**
 * The queue-proxy's request policy, the whole of Knative's main handler chain in one pass over an Exchange
 * (`S:pkg/queue/sharedmain/handlers.go#mainHandler`, innermost last):
 *   Drainer (health checks, KProbes, quiet-period reset) → TimeoutHandler → ForwardedShim → ProxyHandler
 *   (stats, K-Original-Host, breaker) → app request metrics → reverse proxy.
 * Everything here is set up once; per request it allocates one small `Pending` record and nothing else.
 */
import { performance } from 'node:perf_hooks';
import { errorHeaders } from '@kdp/core/errors';
import { forwardedFromXff } from '@kdp/core/forwarded';
import { isHealthCheck } from '@kdp/core/probe-headers';
import type {
  Breaker,
  BreakerWaiter,
  Exchange,
  ExchangeHandler,
  ForwardEdits,
  Outcome,
  RequestStats,
  Timeouts,
  Upstream,
} from '@kdp/core';
import { routeTagOf } from './legacy-metrics.js';

export interface ReadinessCheck {
  probe(cb: (ready: boolean) => void): void;
}

export interface RequestMetrics {
  /** Once per non-probe request that got a breaker slot: status and seconds from slot to completion. */
  observe(status: number, seconds: number): void;
  setQueueDepth(n: number): void;
}

/** Knative 1.12-1.18's request-level metrics (revision_request_*), recorded around the whole chain below the drainer. */
export interface RequestLevelMetrics {
  /** Once per non-probe request that passed the drainer: route tag (`routeTagOf`), final status, ms since its head. */
  observeRequest(routeTag: string, status: number, ms: number): void;
}

export interface DrainState {
  readonly draining: boolean;
  touch(): void;
}

export interface QueueHandlerDeps {
  readonly upstream: Upstream;
  /** Null when CONTAINER_CONCURRENCY is 0: no limit, no queue. */
  readonly breaker: Breaker | null;
  readonly stats: RequestStats;
  readonly drainer: DrainState;
  readonly prober: ReadinessCheck;
  readonly metrics: RequestMetrics | null;
  /** Null (the default, and on Knative 1.19+) costs nothing per request. */
  readonly requestMetrics?: RequestLevelMetrics | null;
  readonly timeouts: Timeouts;
  /** Per-request debug log (`KDP_REQUEST_LOG`); null (the default) costs nothing per request. */
  readonly requestLog?: RequestLogger | null;
}

export interface RequestLogger {
  info(fields: Record<string, unknown>, msg: string): void;
}

// Knative removes these before proxying (`S:pkg/http/proxy.go#NewHeaderPruningReverseProxy`), and
// K-Original-Host once it has been moved into Host (`N:pkg/http/header/header.go#RewriteHostOut`).
const EDITS: ForwardEdits = Object.freeze({
  drop: new Set(['knative-serving-revision', 'knative-serving-namespace', 'k-original-host']),
  add: [],
  appendXff: true,
});

const PROBE_OK_HEADERS: readonly string[] = Object.freeze(['Content-Type', 'text/plain; charset=utf-8']);
const DRAINING = errorHeaders('draining');
const QUEUE_FULL = errorHeaders('queue-full');
const BAD_PROBE = errorHeaders('bad-request');
const NOT_READY: readonly string[] = Object.freeze(['X-Kdp-Error', 'not-ready']);

/** One per proxied request: the breaker waiter and what `onFinish` needs. */
class Pending implements BreakerWaiter {
  /** 0 none, 1 queued in the breaker, 2 holding a breaker slot. */
  slot = 0;
  slotAt = 0;
  /** Only read when request-level metrics are on. */
  routeTag = '';
  constructor(
    readonly ex: Exchange,
    readonly proxied: boolean,
    readonly host: string | undefined,
    readonly extra: readonly string[] | undefined,
    readonly probe: boolean,
    readonly run: (p: Pending) => void,
  ) {}

  onBreakerGrant(): void {
    this.slot = 2;
    this.run(this);
  }
}

export function createQueueHandler(deps: QueueHandlerDeps): ExchangeHandler {
  const { upstream, breaker, stats, drainer, prober, metrics, timeouts } = deps;
  const requestLog = deps.requestLog ?? null;
  const requestMetrics = deps.requestMetrics ?? null;

  const forward = (p: Pending): void => {
    p.slotAt = performance.now();
    if (metrics !== null && breaker !== null && !p.probe) metrics.setQueueDepth(breaker.inFlight);
    p.ex.forward(upstream, EDITS, p.host, p.extra);
  };

  const onFinish = (ex: Exchange, outcome: Outcome, status: number): void => {
    const p = ex.state as Pending;
    const now = performance.now();
    if (p.slot === 2) {
      breaker?.release();
      if (metrics !== null && !p.probe) {
        // An upstream failure after the head counts as 500, as Knative's handler records a panic.
        metrics.observe(outcome === 'upstream-error' && status < 500 ? 500 : status, (now - p.slotAt) / 1000);
      }
    } else if (p.slot === 1) {
      breaker?.cancel(p);
    }
    stats.reqOut(now, p.proxied);
  };

  // Chosen once, like the log below: with them off, the request path has no branch for them.
  const onFinishMeasured =
    requestMetrics === null
      ? onFinish
      : (ex: Exchange, outcome: Outcome, status: number): void => {
          onFinish(ex, outcome, status);
          const p = ex.state as Pending;
          if (!p.probe) requestMetrics.observeRequest(p.routeTag, status, performance.now() - ex.startedAt);
        };

  const onFinishLogged =
    requestLog === null
      ? onFinishMeasured
      : (ex: Exchange, outcome: Outcome, status: number): void => {
          onFinishMeasured(ex, outcome, status);
          requestLog.info(
            { method: ex.method, target: ex.target, status, outcome, ms: Math.round((performance.now() - ex.startedAt) * 1000) / 1000 },
            'request',
          );
        };

  const healthCheck = (ex: Exchange): void => {
    if (drainer.draining) {
      ex.respond(503, DRAINING, 'shutting down\n');
      return;
    }
    const value = ex.header('k-network-probe');
    if (value !== 'queue') {
      ex.respond(400, BAD_PROBE, `unexpected probe header value: ${value ?? ''}\n`);
      return;
    }
    prober.probe((ready) => {
      if (ready) ex.respond(200, PROBE_OK_HEADERS, 'queue');
      else ex.respond(503, NOT_READY, '');
    });
  };

  return (ex: Exchange): void => {
    // Drainer (knative/pkg network/handlers/drain.go).
    if (isHealthCheck(ex)) {
      healthCheck(ex);
      return;
    }
    const probeValue = ex.header('k-network-probe');
    if (probeValue === 'probe') {
      if (drainer.draining) {
        ex.respond(503, DRAINING, 'shutting down\n');
        return;
      }
      const hash = ex.header('k-network-hash');
      if (hash === undefined || hash === '') {
        ex.respond(400, BAD_PROBE, 'a probe request must contain a non-empty "K-Network-Hash" header\n');
        return;
      }
      ex.respond(200, ['K-Network-Hash', hash], '');
      return;
    }
    drainer.touch();
    ex.setTimeouts(timeouts);

    // ForwardedShim (S:pkg/queue/forwarded_shim.go): only when the client sent no Forwarded header.
    let extra: readonly string[] | undefined;
    if (ex.header('forwarded') === undefined) {
      const fwd = forwardedFromXff(ex.header('x-forwarded-for'), ex.header('x-forwarded-host'), ex.header('x-forwarded-proto'));
      if (fwd !== undefined) extra = ['Forwarded', fwd];
    }

    // ProxyHandler (S:pkg/queue/handler.go): a K-Kubelet-Probe request bypasses stats, breaker and host rewrite.
    const kubelet = ex.header('k-kubelet-probe');
    if (kubelet !== undefined && kubelet !== '') {
      ex.forward(upstream, EDITS, undefined, extra);
      return;
    }
    const proxied = ex.header('k-proxy-request') === 'activator';
    const originalHost = ex.header('k-original-host');
    const host = originalHost === undefined || originalHost === '' ? undefined : originalHost;
    const p = new Pending(ex, proxied, host, extra, probeValue !== undefined && probeValue !== '', forward);
    if (requestMetrics !== null) p.routeTag = routeTagOf(ex.header('knative-serving-tag'), ex.header('knative-serving-default-route'));
    ex.state = p;
    ex.onFinish = onFinishLogged;
    stats.reqIn(performance.now(), proxied);
    if (breaker === null) {
      p.slot = 2;
      forward(p);
      return;
    }
    switch (breaker.acquire(p)) {
      case 'granted':
        p.slot = 2;
        forward(p);
        return;
      case 'queued':
        p.slot = 1;
        return;
      case 'rejected':
        ex.respond(503, QUEUE_FULL, 'pending request queue full\n');
        return;
    }
  };
}

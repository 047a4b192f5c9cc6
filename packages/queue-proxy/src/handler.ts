/**
 * The queue-proxy's handler chain, composed once at setup as Knative composes it
 * (`S:pkg/queue/sharedmain/handlers.go#mainHandler`): innermost first, so the last stage built runs first.
 * A request goes drainer → timeouts → forwarded shim → proxy handler (kubelet-probe bypass, the request's record)
 * → [request log] → [request-level metrics] → stats → [breaker] → [app metrics] → reverse proxy (`ex.forward`),
 * and ends back up the same list (`RequestStage.finish`). Stages in [brackets] are left out when off, so the path
 * has no branch for them. Each stage is one file in `chain/`, with its test beside it.
 * Per request this allocates one `QueueRequest` (and the `Forwarded` line when the shim builds one), nothing else.
 */
import type { Breaker, ExchangeHandler, RequestStats, Timeouts, Upstream } from '@kdp/core';
import { AppMetricsStage } from './chain/app-metrics.js';
import type { RequestMetrics } from './chain/app-metrics.js';
import { BreakerStage } from './chain/breaker.js';
import { drainHandler } from './chain/drain.js';
import type { DrainState, ReadinessCheck } from './chain/drain.js';
import { forwardedShim } from './chain/forwarded-shim.js';
import { proxyHandler } from './chain/proxy-handler.js';
import type { RequestStage } from './chain/request.js';
import { RequestLogStage } from './chain/request-log.js';
import type { RequestLogger } from './chain/request-log.js';
import { RequestMetricsStage } from './chain/request-metrics.js';
import type { RequestLevelMetrics } from './chain/request-metrics.js';
import { ReverseProxy } from './chain/reverse-proxy.js';
import { StatsStage } from './chain/stats.js';
import { timeoutHandler } from './chain/timeout.js';

export type { DrainState, ReadinessCheck, RequestLevelMetrics, RequestLogger, RequestMetrics };

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

export function createQueueHandler(deps: QueueHandlerDeps): ExchangeHandler {
  const { breaker, metrics } = deps;
  const requestMetrics = deps.requestMetrics ?? null;
  const requestLog = deps.requestLog ?? null;

  // Innermost first: the last handler built is the first a request meets.      Knative (mainHandler):
  const proxy = new ReverseProxy(deps.upstream); //                               httpProxy
  let stage: RequestStage = proxy;
  if (metrics !== null) stage = new AppMetricsStage(metrics, breaker, stage); //  requestAppMetricsHandler
  if (breaker !== null) stage = new BreakerStage(breaker, stage); //              ProxyHandler: breaker.Maybe
  stage = new StatsStage(deps.stats, stage); //                                   ProxyHandler: stats in/out
  if (requestMetrics !== null) stage = new RequestMetricsStage(requestMetrics, stage); // 1.12-1.18 request metrics
  if (requestLog !== null) stage = new RequestLogStage(requestLog, stage); //     requestLogHandler

  let handler: ExchangeHandler = forwardedShim(proxyHandler(stage, proxy)); //    ProxyHandler, ForwardedShimHandler
  handler = timeoutHandler(deps.timeouts, handler); //                            NewTimeoutHandler
  handler = drainHandler(deps.drainer, deps.prober, handler); //                  Drainer (+ health.ProbeHandler)
  return handler;
}

/**
 * The drainer, the chain's outermost stage (knative/pkg `network/handlers/drain.go#Drainer.ServeHTTP`, with the
 * queue-proxy's health check `S:pkg/queue/health/handler.go#ProbeHandler` and its extra user agents):
 *  - a health check (kubelet, activator or autoscaler probe user agent, `isHealthCheck`) is answered here: 503
 *    `draining` once the drain began, 400 unless `K-Network-Probe: queue`, else the readiness prober's verdict
 *    (200 `queue` or 503 `not-ready`);
 *  - a networking KProbe (`K-Network-Probe: probe`) is answered here: 503 while draining, else core's `answerKProbe`;
 *  - every other request resets the drain's quiet period (`touch`) and goes on.
 */
import { errorBody, errorHeaders } from '@kdp/core/errors';
import { UNEXPECTED_PROBE_VALUE, answerKProbe, isHealthCheck, isKProbe } from '@kdp/core/probe-headers';
import type { Exchange, ExchangeHandler } from '@kdp/core';

export interface ReadinessCheck {
  probe(cb: (ready: boolean) => void): void;
}

export interface DrainState {
  readonly draining: boolean;
  touch(): void;
}

const PROBE_OK_HEADERS: readonly string[] = Object.freeze(['Content-Type', 'text/plain; charset=utf-8']);
const DRAINING = errorHeaders('draining');
const DRAINING_BODY = errorBody('draining');
const BAD_PROBE = errorHeaders('bad-request');
const NOT_READY: readonly string[] = Object.freeze(['X-Kdp-Error', 'not-ready']);

export function drainHandler(drainer: DrainState, prober: ReadinessCheck, next: ExchangeHandler): ExchangeHandler {
  const healthCheck = (ex: Exchange): void => {
    if (drainer.draining) {
      ex.respond(503, DRAINING, DRAINING_BODY);
      return;
    }
    const value = ex.header('k-network-probe');
    if (value !== 'queue') {
      ex.respond(400, BAD_PROBE, `${UNEXPECTED_PROBE_VALUE}${value ?? ''}\n`);
      return;
    }
    prober.probe((ready) => {
      if (ready) ex.respond(200, PROBE_OK_HEADERS, 'queue');
      else ex.respond(503, NOT_READY, '');
    });
  };

  return (ex) => {
    if (isHealthCheck(ex)) {
      healthCheck(ex);
      return;
    }
    if (isKProbe(ex)) {
      if (drainer.draining) ex.respond(503, DRAINING, DRAINING_BODY);
      else answerKProbe(ex);
      return;
    }
    drainer.touch();
    next(ex);
  };
}

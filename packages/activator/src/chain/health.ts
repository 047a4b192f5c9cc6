/**
 * The health handler, the chain's outermost stage (Knative `pkg/activator/handler/healthz_handler.go`
 * `HealthHandler`): a kubelet probe (`kube-probe/` user agent or `K-Kubelet-Probe`) is answered here, 200 with no
 * body, or 503 `draining` once SIGTERM arrived (Knative answers 500; kdp's drain answer is 503 in every
 * component). Everything else goes on. Cluster mode puts its own readiness in front (`cluster.ts`).
 */
import { errorBody, errorHeaders, isKubeletProbe } from '@kdp/core';
import type { KeyedHandler } from './request.js';

export interface DrainFlag {
  readonly draining: boolean;
}

const NONE: readonly string[] = Object.freeze([]);
const DRAINING = errorHeaders('draining');
const DRAINING_BODY = errorBody('draining');

export function healthHandler<K>(drain: DrainFlag, next: KeyedHandler<K>): KeyedHandler<K> {
  return (ex, key) => {
    if (!isKubeletProbe(ex)) {
      next(ex, key);
      return;
    }
    if (drain.draining) ex.respond(503, DRAINING, DRAINING_BODY);
    else ex.respond(200, NONE, '');
  };
}

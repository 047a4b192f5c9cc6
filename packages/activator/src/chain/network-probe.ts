/**
 * The network probe handler (knative/networking `pkg/http/probe/handler.go`, `network.NewProbeHandler` in
 * cmd/activator/main.go): a KProbe (`K-Network-Probe: probe`) is answered with core's `answerKProbe` (the hash
 * echoed, or 400 without one); everything else goes on.
 */
import { answerKProbe, isKProbe } from '@kdp/core';
import type { KeyedHandler } from './request.js';

export function networkProbeHandler<K>(next: KeyedHandler<K>): KeyedHandler<K> {
  return (ex, key) => {
    if (isKProbe(ex)) answerKProbe(ex);
    else next(ex, key);
  };
}

/**
 * The activator's probe handler (Knative `pkg/activator/handler/probe_handler.go` `ProbeHandler`): any other
 * `K-Network-Probe` value is answered here: `activator` (the autoscaler checking the activator) with 200 and the
 * body `activator`, anything else with 400 and Knative's text (the value quoted, as Go's `%q`). A request without
 * the header goes on.
 */
import { UNEXPECTED_PROBE_VALUE, errorHeaders } from '@kdp/core';
import type { KeyedHandler } from './request.js';

/** Knative's `K-Proxy-Request` value (`activator.Name`) and the probe answer body. */
export const ACTIVATOR = 'activator';

const TEXT: readonly string[] = Object.freeze(['Content-Type', 'text/plain; charset=utf-8']);
const BAD_REQUEST = errorHeaders('bad-request');

export function probeHandler<K>(next: KeyedHandler<K>): KeyedHandler<K> {
  return (ex, key) => {
    const probe = ex.header('k-network-probe');
    if (probe === undefined || probe === '') next(ex, key);
    else if (probe === ACTIVATOR) ex.respond(200, TEXT, ACTIVATOR);
    else ex.respond(400, BAD_REQUEST, `${UNEXPECTED_PROBE_VALUE}${JSON.stringify(probe)}\n`);
  };
}

/**
 * The router's request path over an Exchange: Host (+ `Knative-Serving-Tag`) → route table → revision → the revision
 * handler (the local platform passes the in-process activator's `handle`, packages/platform/src/router-listener.ts).
 *
 * Knative's ingress appends `Knative-Serving-Revision` / `Knative-Serving-Namespace` to each split so the activator
 * knows the revision (docs/contract/activator-autoscaler-routing.md §3.4, §1.2), and the activator strips both before proxying to the pod. Here the two
 * components share a process: the router hands the revision identity to `activator.handle(ex, "ns/name")` as an
 * argument, which is the same information without writing headers that would be removed one call later.
 *
 * Why there is no separate warm path (Knative takes the activator out of the path when spare capacity ≥ target burst
 * capacity, SKS Serve mode): that mode exists to save a network hop and the activator's CPU on another pod. In-process
 * there is no hop to save: router → activator is a function call, and activator → queue-proxy is the one network hop
 * either way. What a warm path would need anyway, a pod pick and per-pod in-flight accounting so that no pod gets more
 * than `containerConcurrency`, is exactly the activator's throttler (Knative's load-balancing policies, breaker of
 * cc × ready pods). A second path would duplicate it, or give up the per-pod limit and let requests queue in one
 * queue-proxy while another pod idles. So every request goes through the activator, which also makes the stats
 * accounting single-sourced: the activator marks every request `K-Proxy-Request: activator`, the queue-proxy counts
 * it as proxied, the autoscaler subtracts proxied requests from the scraped pod stats and adds the activator's own
 * report (which includes buffered time), so each request counts exactly once (docs/contract/activator-autoscaler-routing.md §2.3). A request that reaches
 * a queue-proxy some other way (a client calling a pod port directly) is unmarked and is counted through the scrape.
 * The autoscaler's `activatorInPath` / excess burst capacity still drive its scale-to-zero timing as in Knative.
 */
import { errorHeaders, Upstream } from '@kdp/core';
import type { Exchange, ExchangeHandler, ForwardEdits } from '@kdp/core';
import type { RouteMatch, RouteTableRef } from './route-table.js';

/** What the router needs of the activator: serve `ex` for the revision `namespace/name`. */
export type RevisionHandler = (ex: Exchange, revKey: string) => void;

const NOT_FOUND = errorHeaders('not-found');

/** A host the router forwards as is to a local server (the broker ingress), checked only when no route matches. */
export interface HostForward {
  /** Host name without port, lower case (`broker-ingress.knative-eventing.localhost`). */
  readonly host: string;
  readonly port: number;
}

const FORWARD_EDITS: ForwardEdits = Object.freeze({ drop: new Set<string>(), add: [], appendXff: true });

export function createRouterHandler(routes: RouteTableRef, activate: RevisionHandler, forwards: readonly HostForward[] = []): ExchangeHandler {
  // Looked up only on a route miss, so the service path pays nothing for them.
  const upstreams = new Map(forwards.map((f) => [f.host, new Upstream({ host: '127.0.0.1', port: f.port, maxIdle: 1000 })]));
  // Matches are built once per table and frozen; caching their key keeps the request path free of string building
  // and hands the activator the same (already hashed) string every time.
  const keys = new WeakMap<RouteMatch, string>();
  const keyOf = (m: RouteMatch): string => {
    let k = keys.get(m);
    if (k === undefined) {
      k = `${m.namespace}/${m.revision}`;
      keys.set(m, k);
    }
    return k;
  };
  return (ex) => {
    const host = ex.header('host') ?? '';
    const tag = ex.header('knative-serving-tag');
    const r = routes.lookup(host, tag);
    switch (r.kind) {
      case 'match':
        activate(ex, keyOf(r));
        return;
      case 'miss':
        switch (r.error) {
          case 'not-found': {
            if (upstreams.size > 0) {
              const colon = host.lastIndexOf(':');
              const up = upstreams.get((colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host).toLowerCase());
              if (up !== undefined) {
                ex.forward(up, FORWARD_EDITS, undefined);
                return;
              }
            }
            ex.respond(404, NOT_FOUND, `no route for host ${JSON.stringify(host)}\n`);
            return;
          }
          case 'unknown-tag':
            ex.respond(404, NOT_FOUND, `no tag ${JSON.stringify(tag ?? '')} on host ${JSON.stringify(host)}\n`);
            return;
        }
    }
  };
}

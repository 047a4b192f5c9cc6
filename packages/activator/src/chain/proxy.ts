/**
 * The proxy, the sending half of Knative's activation handler (`pkg/activator/handler/handler.go` `proxyRequest`):
 * the request goes to the queue-proxy of the pod the throttler gave it, with `Exchange.forward`. Host becomes the
 * pod's `ip:port`, the client's Host moves to `K-Original-Host` (Knative `RewriteHostIn`), `K-Proxy-Request:
 * activator` is added and the revision headers are dropped.
 */
import type { ForwardEdits } from '@kdp/core';
import { ACTIVATOR } from './probe.js';
import type { ActivatorRequest, RequestStage } from './request.js';

// Removed on the way to the pod: the revision headers (`NewHeaderPruningReverseProxy` with
// `activator.RevisionHeaders`), K-Network-Hash (netprobe deletes it on non-probe requests) and any client
// K-Proxy-Request (Knative `Header.Set`s it). K-Original-Host stays when the client already sent one
// (`RewriteHostIn` does not overwrite it); otherwise it is dropped and set to the client's Host.
const BASE_DROP = ['knative-serving-revision', 'knative-serving-namespace', 'k-network-hash', 'k-proxy-request'];
const ADD: readonly string[] = Object.freeze(['K-Proxy-Request', ACTIVATOR]);
export const EDITS_KEEP_ORIGINAL_HOST: ForwardEdits = Object.freeze({
  drop: new Set(BASE_DROP),
  add: ADD,
  appendXff: true, // Go's ReverseProxy (Director form) appends the client address
});
export const EDITS_SET_ORIGINAL_HOST: ForwardEdits = Object.freeze({
  drop: new Set([...BASE_DROP, 'k-original-host']),
  add: ADD,
  appendXff: true,
});

export class ProxyStage implements RequestStage {
  serve(p: ActivatorRequest): void {
    const pod = p.pod;
    if (pod === null) return; // unreachable: the throttle stage passes on only requests holding a pod
    const ex = p.ex;
    const upstream = pod.upstream;
    const originalHost = ex.header('k-original-host');
    if (originalHost !== undefined && originalHost !== '') {
      ex.forward(upstream, EDITS_KEEP_ORIGINAL_HOST, upstream.authority);
    } else {
      // Knative `RewriteHostIn` clears Host, so Go's transport sends the target, the pod's `ip:port`.
      ex.forward(upstream, EDITS_SET_ORIGINAL_HOST, upstream.authority, ['K-Original-Host', ex.header('host') ?? '']);
    }
  }

  finish(): void {
    // Nothing to undo: the engine closes or pools the connection to the pod.
  }
}

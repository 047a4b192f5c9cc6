/**
 * The reverse proxy, the chain's innermost stage (`S:pkg/http/proxy.go#NewHeaderPruningReverseProxy`): the request
 * goes to the app with `Exchange.forward`, which streams both ways; the engine does the rest.
 */
import type { Exchange, ForwardEdits, HeaderList, Upstream } from '@kdp/core';
import type { QueueRequest, RequestStage } from './request.js';

// Knative removes these before proxying (`S:pkg/http/proxy.go#NewHeaderPruningReverseProxy`), and
// K-Original-Host once it has been moved into Host (`N:pkg/http/header/header.go#RewriteHostOut`).
export const EDITS: ForwardEdits = Object.freeze({
  drop: new Set(['knative-serving-revision', 'knative-serving-namespace', 'k-original-host']),
  add: [],
  appendXff: true,
});

export class ReverseProxy implements RequestStage {
  constructor(private readonly upstream: Upstream) {}

  serve(p: QueueRequest): void {
    p.ex.forward(this.upstream, EDITS, p.host, p.extra);
  }

  finish(): void {
    // Nothing to undo: the engine closes or pools the upstream connection.
  }

  /** Straight to the app with the client's Host and nothing counted: the kubelet-probe bypass (`proxy-handler.ts`). */
  bypass(ex: Exchange, extra: HeaderList | undefined): void {
    ex.forward(this.upstream, EDITS, undefined, extra);
  }
}

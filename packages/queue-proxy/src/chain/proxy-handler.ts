/**
 * The entry of Knative's proxy handler (`S:pkg/queue/handler.go#ProxyHandler`): a `K-Kubelet-Probe` request goes
 * straight to the app, bypassing stats, breaker and host rewrite; any other request gets its record
 * (`QueueRequest`: proxied by the activator?, `K-Original-Host` as the upstream Host, probe or not), which becomes
 * `Exchange.state`, and one `onFinish` built here at setup ends it through every stage below.
 */
import { performance } from 'node:perf_hooks';
import type { Exchange, Outcome } from '@kdp/core';
import type { ExtraHeadersHandler } from './forwarded-shim.js';
import { QueueRequest } from './request.js';
import type { RequestStage } from './request.js';
import type { ReverseProxy } from './reverse-proxy.js';

export function proxyHandler(next: RequestStage, proxy: ReverseProxy): ExtraHeadersHandler {
  const onFinish = (ex: Exchange, outcome: Outcome, status: number): void => {
    next.finish(ex.state as QueueRequest, outcome, status, performance.now());
  };

  return (ex, extra) => {
    const kubelet = ex.header('k-kubelet-probe');
    if (kubelet !== undefined && kubelet !== '') {
      proxy.bypass(ex, extra);
      return;
    }
    const originalHost = ex.header('k-original-host');
    const probe = ex.header('k-network-probe');
    const p = new QueueRequest(
      ex,
      ex.header('k-proxy-request') === 'activator',
      originalHost === undefined || originalHost === '' ? undefined : originalHost,
      extra,
      probe !== undefined && probe !== '',
    );
    ex.state = p;
    ex.onFinish = onFinish;
    next.serve(p);
  };
}

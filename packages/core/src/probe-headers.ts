/**
 * Knative header names, values and user agents (knative/networking `pkg/http/header/header.go`), and the four
 * probe predicates, whose differences matter (docs/contract/queue-proxy.md §2.2):
 *
 * | predicate        | kube-probe/ UA | Activator/Autoscaling UA | K-Kubelet-Probe | K-Network-Probe        |
 * |------------------|----------------|--------------------------|-----------------|------------------------|
 * | isHealthCheck    | yes            | yes                      | no              | no                     |
 * | isKProbe         | no             | no                       | no              | exactly `probe`        |
 * | isKubeletProbe   | yes            | no                       | non-empty       | no                     |
 * | isProbe          | yes            | no                       | non-empty       | non-empty              |
 *
 * Predicates take the request as anything with a `header(lowerName)` method (an `Exchange` is one), so they work
 * for every engine and need no bound function per request. Like Go's `Header.Get`, a missing header and an empty
 * one are the same.
 *
 * The answer to a networking KProbe (`answerKProbe`) is written here once, for every kdp proxy that answers one.
 */
import { errorHeaders } from './errors.js';

/** Header names, lower case, for `header(lowerName)` lookups. */
export const KnativeHeader = {
  /** `K-Network-Probe`: `probe` (networking KProbe), `queue` (queue-proxy health), `activator`. */
  networkProbe: 'k-network-probe',
  /** `K-Network-Hash`: echoed back on KProbes. */
  networkHash: 'k-network-hash',
  /** `K-Proxy-Request`: `activator` when the activator proxied the request. */
  proxyRequest: 'k-proxy-request',
  /** `K-Original-Host`: the Host the activator moved aside; the queue-proxy restores it. */
  originalHost: 'k-original-host',
  /** `K-Kubelet-Probe`: deprecated kubelet-probe marker. */
  kubeletProbe: 'k-kubelet-probe',
  /** `Knative-Serving-Tag`: the route tag. */
  routeTag: 'knative-serving-tag',
  /** `Knative-Serving-Default-Route`: `true` / `false`. */
  defaultRoute: 'knative-serving-default-route',
  /** `K-Passthrough-Lb`: ask load balancers to send to the request's target directly. */
  passthroughLb: 'k-passthrough-lb',
  /** `Knative-Serving-Revision`: removed before proxying to the app (docs/contract/queue-proxy.md §2.7). */
  servingRevision: 'knative-serving-revision',
  /** `Knative-Serving-Namespace`: removed before proxying to the app (docs/contract/queue-proxy.md §2.7). */
  servingNamespace: 'knative-serving-namespace',
  userAgent: 'user-agent',
} as const;
export type KnativeHeaderName = (typeof KnativeHeader)[keyof typeof KnativeHeader];

/** The same names as Go canonicalises them, for headers kdp writes (e.g. echoing `K-Network-Hash`). */
export const KnativeHeaderCanonical = {
  networkProbe: 'K-Network-Probe',
  networkHash: 'K-Network-Hash',
  proxyRequest: 'K-Proxy-Request',
  originalHost: 'K-Original-Host',
  kubeletProbe: 'K-Kubelet-Probe',
  routeTag: 'Knative-Serving-Tag',
  defaultRoute: 'Knative-Serving-Default-Route',
  passthroughLb: 'K-Passthrough-Lb',
  servingRevision: 'Knative-Serving-Revision',
  servingNamespace: 'Knative-Serving-Namespace',
  userAgent: 'User-Agent',
} as const satisfies Record<keyof typeof KnativeHeader, string>;

/** Values of `K-Network-Probe` and `K-Proxy-Request`. */
export const ProbeValue = {
  /** Networking KProbe (`ProbeValue` in Go). */
  kprobe: 'probe',
  /** Queue-proxy health check, sent by kubelet through the rewritten readiness probe. */
  queue: 'queue',
  /** The autoscaler probing the activator; also the `K-Proxy-Request` value the activator sets. */
  activator: 'activator',
} as const;

/** User agents. */
export const KnativeUserAgent = {
  /** Prefix of kubelet probes: `kube-probe/<major>.<minor>`. */
  kubeProbePrefix: 'kube-probe/',
  activator: 'Knative-Activator-Probe',
  autoscaling: 'Knative-Autoscaling-Probe',
  /** Defined by Knative, not special-cased by the queue-proxy. */
  queueProxy: 'Knative-Queue-Proxy-Probe',
  /** Defined by Knative, not special-cased by the queue-proxy. */
  ingress: 'Knative-Ingress-Probe',
} as const;

/** Anything that can look up the first value of a request header by lower-case name. */
export interface HeaderReader {
  header(lowerName: string): string | undefined;
}

/**
 * The Drainer's health check (knative/pkg `network/handlers/drain.go#isHealthCheckRequest` with the queue-proxy's
 * extra prefixes): UA starts with `kube-probe/`, `Knative-Activator-Probe` or `Knative-Autoscaling-Probe`.
 * `K-Kubelet-Probe` is not considered.
 */
export function isHealthCheck(req: HeaderReader): boolean {
  const ua = req.header('user-agent');
  if (ua === undefined) return false;
  return (
    ua.startsWith(KnativeUserAgent.kubeProbePrefix) ||
    ua.startsWith(KnativeUserAgent.activator) ||
    ua.startsWith(KnativeUserAgent.autoscaling)
  );
}

/** A networking KProbe: `K-Network-Probe` is exactly `probe` (drain.go#isKProbe). */
export function isKProbe(req: HeaderReader): boolean {
  return req.header('k-network-probe') === ProbeValue.kprobe;
}

/** `netheader.IsKubeletProbe`: UA starts with `kube-probe/`, or `K-Kubelet-Probe` is non-empty. */
export function isKubeletProbe(req: HeaderReader): boolean {
  const ua = req.header('user-agent');
  if (ua !== undefined && ua.startsWith(KnativeUserAgent.kubeProbePrefix)) return true;
  const k = req.header('k-kubelet-probe');
  return k !== undefined && k !== '';
}

/** `netheader.IsProbe`: `isKubeletProbe`, or `K-Network-Probe` is non-empty (any value). */
export function isProbe(req: HeaderReader): boolean {
  if (isKubeletProbe(req)) return true;
  const p = req.header('k-network-probe');
  return p !== undefined && p !== '';
}

/** Anything that can read request headers and answer locally (an `Exchange` is one). */
export interface ProbeResponder extends HeaderReader {
  respond(status: number, headers: readonly string[], body: string): void;
}

/** Knative's 400 text for a KProbe without a hash (knative/pkg `network/handlers/drain.go#serveKProbe`). */
export const KPROBE_HASH_MISSING = 'a probe request must contain a non-empty "K-Network-Hash" header\n';

/** The start of Knative's 400 text for a `K-Network-Probe` value a component does not answer. */
export const UNEXPECTED_PROBE_VALUE = 'unexpected probe header value: ';

const BAD_PROBE = errorHeaders('bad-request');

/**
 * Answers a networking KProbe (`K-Network-Probe: probe`) as knative/pkg `drain.go#serveKProbe` does: 200 with the
 * request's `K-Network-Hash` echoed and no body, or 400 (`X-Kdp-Error: bad-request`) when the hash is missing or
 * empty. Whether to answer it at all (draining, which header value) is the caller's decision.
 */
export function answerKProbe(req: ProbeResponder): void {
  const hash = req.header('k-network-hash');
  if (hash === undefined || hash === '') req.respond(400, BAD_PROBE, KPROBE_HASH_MISSING);
  else req.respond(200, [KnativeHeaderCanonical.networkHash, hash], '');
}
